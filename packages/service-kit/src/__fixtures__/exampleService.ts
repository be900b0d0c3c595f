/**
 * A service defined with defineService, run as its own process by
 * service.test.ts: FIXTURE_STOP_MS is how long its stop takes.
 */
import { Registry } from 'prom-client';
import { z } from 'zod';
import { defineService } from '../service';
import { port } from '../schemas';

const schema = z
  .object({
    ops: z
      .object({ host: z.string().default('127.0.0.1'), port: port.default(0) })
      .strict()
      .prefault({}),
  })
  .strict();

defineService({
  name: 'example-service',
  configSchema: schema,
  config: { defaultFile: '/nonexistent/config.yaml' },
  stopTimeoutMs: 1_000,
  start: async ({ config, logger, serveOps }) => {
    const ops = await serveOps({
      ...config.ops,
      registry: new Registry(),
      health: () => ({ live: true, ready: true }),
    });
    // The test reads the port from this line.
    process.stdout.write(`OPS_PORT=${ops.port}\n`);
    return {
      stop: async reason => {
        logger.info({ reason }, 'example stopping');
        await new Promise(r =>
          setTimeout(r, Number(process.env.FIXTURE_STOP_MS ?? 0)),
        );
      },
    };
  },
}).run();
