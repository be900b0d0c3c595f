export { LatestValuesTable, formatValue } from './LatestValuesTable';
