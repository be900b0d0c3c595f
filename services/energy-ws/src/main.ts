import { defineService } from '@homelab/service-kit';
import { CONFIG_SOURCE, configSchema } from './config';
import { startEnergyWs } from './server';

defineService({
  name: 'energy-ws',
  configSchema,
  config: CONFIG_SOURCE,
  // /metrics and /health share the WebSocket server's port, so energy-ws serves them itself.
  start: ({ config, logger }) => startEnergyWs(config, logger),
}).run();
