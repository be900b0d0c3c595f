import { defineService } from '@homelab/service-kit';
import { CONFIG_SOURCE, simulatorConfigSchema } from './config';
import { startSimulator } from './simulator';

defineService({
  name: 'device-simulator',
  configSchema: simulatorConfigSchema,
  config: CONFIG_SOURCE,
  // The simulator serves /metrics and /health itself, so in-process tests see them too.
  start: ({ config, logger }) => startSimulator(config, logger),
}).run();
