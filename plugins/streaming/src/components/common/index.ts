export * from './format';
export * from './usePolling';
export * from './LagStateChip';
export * from './Sparkline';
export * from './ErrorState';
export * from './trend';
export * from './Figure';
export * from './chartColors';
