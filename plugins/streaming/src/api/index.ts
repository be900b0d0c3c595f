export * from './StreamingApi';
export * from './StreamingClient';
