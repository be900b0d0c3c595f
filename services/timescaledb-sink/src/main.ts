import { defineService } from '@homelab/service-kit';
import { CONFIG_SOURCE, configSchema } from './config';
import { createSink } from './sink';

defineService({
  name: 'timescaledb-sink',
  configSchema,
  config: CONFIG_SOURCE,
  start: async ({ config, logger, serveOps }) => {
    const sink = createSink(config, { logger });
    // The ops server comes first so /health can say "not ready" while the
    // database is still being waited for.
    await serveOps({
      host: config.ops.host,
      port: config.ops.port,
      registry: sink.metrics.registry,
      health: () => sink.health(),
    });
    await sink.start();
    return { stop: reason => sink.stop(reason) };
  },
}).run();
