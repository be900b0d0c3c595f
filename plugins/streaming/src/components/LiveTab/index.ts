export { LiveTab } from './LiveTab';
export type { LiveTabProps } from './LiveTab';
