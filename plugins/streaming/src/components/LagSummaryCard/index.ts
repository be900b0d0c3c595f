export { LagSummaryCard, LagSummary } from './LagSummaryCard';
