import { defineService } from '@homelab/service-kit';
import { startBridge } from './bridge';
import { bridgeConfigSchema, CONFIG_SOURCE } from './config';
import { SERVICE_NAME } from './kafkaMessage';

defineService({
  name: SERVICE_NAME,
  configSchema: bridgeConfigSchema,
  config: CONFIG_SOURCE,
  // The bridge serves /metrics and /health itself, so in-process tests see them too.
  start: ({ config, logger }) => startBridge(config, logger),
}).run();
