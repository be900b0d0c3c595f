import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { PACKAGE_DIR } from '../packageDir';
import { HOST, portOrFree } from '../ports';
import { supervise, Supervised } from '../process/supervisor';
import { waitReady } from '../process/waitReady';
import { makeRunDir } from '../tmp';
import { startLifecycle } from '../process/lifecycle';

export interface StartTimescaleOptions {
  port?: number;
  /** Keep the data in memory instead of a temporary folder (faster, lost on restart). */
  inMemory?: boolean;
  startTimeoutMs?: number;
  /**
   * How often the in-process scheduler looks for due TimescaleDB jobs
   * (compression, aggregate refresh, retention); 0 turns it off. PGlite has
   * no background workers, so without it no policy ever runs. Default 5000.
   */
  jobsEveryMs?: number;
}

export interface TimescaleServer {
  /** postgres://postgres:postgres@127.0.0.1:<port>/postgres, the TIMESCALE_URL format. */
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stops and starts the server on the same port; data survives unless inMemory. */
  restart(): Promise<void>;
}

/** PGlite accepts any password; the user and database are PGlite's only ones. */
export function timescaleUrl(port: number): string {
  return `postgres://postgres:postgres@${HOST}:${port}/postgres`;
}

async function timescaleInstalled(url: string): Promise<boolean> {
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: 2000,
  });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
    );
    return rows.length === 1;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The child runs the TypeScript server through tsx's loader, found from this package. */
function serverCommand(): { command: string; args: string[] } {
  // Under tsx, resolved paths can carry a "?namespace=" query that is not part of the file name.
  const tsxLoader = require.resolve('tsx').replace(/\?.*$/, '');
  return {
    command: process.execPath,
    args: [
      '--import',
      pathToFileURL(tsxLoader).href,
      path.join(PACKAGE_DIR, 'src', 'timescale', 'serve.ts'),
    ],
  };
}

export async function startTimescale(
  options: StartTimescaleOptions = {},
): Promise<TimescaleServer> {
  const port = await portOrFree(options.port, 'TimescaleDB (PGlite)');
  const url = timescaleUrl(port);
  const dir = makeRunDir('timescale');
  const dataDir = path.join(dir, 'data');
  if (!options.inMemory) mkdirSync(dataDir);
  const { command, args } = serverCommand();

  let child: Supervised | undefined;
  async function launch() {
    child = supervise({
      name: `TimescaleDB in PGlite (${HOST}:${port})`,
      command,
      args: [
        ...args,
        '--port',
        String(port),
        ...(options.inMemory ? [] : ['--data-dir', dataDir]),
        ...(options.jobsEveryMs === undefined
          ? []
          : ['--jobs-every-ms', String(options.jobsEveryMs)]),
      ],
      logFile: path.join(dir, 'timescale.log'),
      cwd: dir,
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 15_000,
    });
    await waitReady(child, {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      check: () => timescaleInstalled(url),
    });
  }

  const lifecycle = await startLifecycle({ dir, launch, current: () => child });
  return { url, port, ...lifecycle };
}
