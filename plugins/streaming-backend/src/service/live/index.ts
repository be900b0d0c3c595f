export { createLiveRouter } from './router';
export type { LiveRouterOptions } from './router';
export { readLiveSettings } from './settings';
export type { LiveSettings } from './settings';
