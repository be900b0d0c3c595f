/*
 * Child process: TimescaleDB (PGlite compiled to WASM) served over the
 * PostgreSQL wire protocol. It runs apart from the parent so a WASM crash or a
 * long query never blocks the runner, and so it can be stopped like any server.
 *
 * Usage: serve.ts --port <n> [--data-dir <dir>] [--jobs-every-ms <n>]
 *        (prints "ready" when listening; --jobs-every-ms 0 turns the job scheduler off)
 */
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { openTimescale, prepareDataDir } from './template';
import { keepSessionsApart } from './sessionQueue';
import { JobScheduler } from './jobScheduler';

/** How often due TimescaleDB jobs are looked for; policies run no more often than their own schedule. */
const DEFAULT_JOBS_EVERY_MS = 5000;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const port = Number(arg('port'));
  if (!port) throw new Error('serve.ts: --port is required');
  const dataDir = arg('data-dir');
  const t0 = Date.now();
  const origin = dataDir ? await prepareDataDir(dataDir) : 'in memory';
  const db = await openTimescale(dataDir);
  // The default of one connection would refuse the sink, Backstage and psql at once.
  const server = new PGLiteSocketServer({
    db,
    port,
    host: '127.0.0.1',
    maxConnections: 100,
  });
  const session = keepSessionsApart(server);
  await server.start();
  const jobsEveryMs = Number(arg('jobs-every-ms') ?? DEFAULT_JOBS_EVERY_MS);
  if (!Number.isInteger(jobsEveryMs) || jobsEveryMs < 0) {
    throw new Error(
      `serve.ts: --jobs-every-ms must be a whole number of milliseconds (0 turns jobs off), not "${arg(
        'jobs-every-ms',
      )}"`,
    );
  }
  const scheduler = new JobScheduler(session, line => console.log(line));
  if (jobsEveryMs > 0) scheduler.start(jobsEveryMs);
  console.log(
    `ready on 127.0.0.1:${port} in ${Date.now() - t0} ms (data: ${
      dataDir ?? 'memory'
    }, ${origin}; jobs ${
      jobsEveryMs > 0 ? `checked every ${jobsEveryMs} ms` : 'off'
    })`,
  );

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await scheduler.stop();
    await server.stop().catch(() => undefined);
    // Closing flushes the file-backed data dir, so restart() finds the data again.
    await db.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
