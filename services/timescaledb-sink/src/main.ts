import { createLogger, runService, startOpsServer } from '@homelab/service-kit';
import { loadSinkConfig } from './config';
import { createSink } from './sink';

const logger = createLogger('timescaledb-sink');

runService({
  name: 'timescaledb-sink',
  logger,
  start: async () => {
    const config = loadSinkConfig();
    const sink = createSink(config, { logger });
    // The ops server comes first so /health can say "not ready" while the
    // database is still being waited for.
    const ops = await startOpsServer({
      host: config.ops.host,
      port: config.ops.port,
      registry: sink.metrics.registry,
      health: () => sink.health(),
    });
    logger.info({ port: ops.port }, 'ops server listening (/metrics, /health)');
    await sink.start();
    return {
      stop: async reason => {
        await sink.stop(reason);
        await ops.close();
      },
    };
  },
});
