export { createLiveRouter } from './router';
export type { LiveRouterOptions } from './router';
export { readLiveSettings } from './settings';
export type { LiveSettings } from './settings';
/** The portal mints live tokens with the contracts' minter, the one energy-ws's verifier matches. */
export { mintLiveToken } from '@homelab/plugin-streaming-common';
