export { TimescaleTab } from './TimescaleTab';
