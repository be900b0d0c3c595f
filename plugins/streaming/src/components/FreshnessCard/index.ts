export { FreshnessCard } from './FreshnessCard';
