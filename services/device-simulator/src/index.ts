/**
 * Realistic homelab device traffic over MQTT.
 *
 * @packageDocumentation
 */
export { startSimulator } from './simulator';
export type { Simulator } from './simulator';
export { loadSimulatorConfig, simulatorConfigSchema } from './config';
export type { SimulatorConfig } from './config';
export {
  buildFleet,
  expectedRates,
  HOMELAB_FLEET,
  DEVICE_KINDS,
} from './fleet';
export type { Device, DeviceKind, DeviceSpec } from './fleet';
export { Schedule } from './schedule';
