/**
 * The Energy WebSocket Service, startable in-process for tests and embedding.
 *
 * @packageDocumentation
 */
export { startEnergyWs } from './server';
export type { EnergyWs } from './server';
export {
  configSchema,
  parseConfig,
  readConfig,
  streamTopics,
  effectiveGroupId,
} from './config';
export type { EnergyWsConfig, EnergyWsConfigInput } from './config';
