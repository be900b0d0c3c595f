import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Tests run from source, never bundled, so __dirname is this package's src/.
// eslint-disable-next-line no-restricted-syntax
export const repoRoot = resolve(__dirname, '../../..');

export interface Portal {
  /** Backend URL; it also serves the built frontend. */
  baseUrl: string;
  logFile: string;
  /** A guest user's Backstage token, for calling APIs as a signed-in user. */
  guestToken(): Promise<string>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

export interface StartPortalOptions {
  databaseUrl: string;
  /** Extra YAML appended to the test config (e.g. plugin settings). */
  extraConfig?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Starts the real Backstage backend (packages/backend) on a free port against
 * PostgreSQL, with a database prefix of its own so parallel runs never share
 * tables. The backend serves packages/app/dist, which bin/test builds first.
 */
export async function startPortal(
  options: StartPortalOptions,
): Promise<Portal> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'portal-'));
  const configFile = join(dir, 'app-config.test.yaml');
  const prefix = `e2e_${Date.now().toString(36)}_${Math.floor(
    Math.random() * 1e6,
  )}_`;
  writeFileSync(
    configFile,
    [
      'app:',
      `  baseUrl: ${baseUrl}`,
      'backend:',
      `  baseUrl: ${baseUrl}`,
      '  listen:',
      `    port: ${port}`,
      '  cors:',
      `    origin: ${baseUrl}`,
      '  database:',
      '    client: pg',
      `    connection: ${options.databaseUrl}`,
      `    prefix: ${prefix}`,
      options.extraConfig ?? '',
    ].join('\n'),
  );
  const logFile = join(dir, 'backend.log');
  const out = openSync(logFile, 'a');
  const cli = join(repoRoot, 'node_modules/@backstage/cli/bin/backstage-cli');
  const child: ChildProcess = spawn(
    process.execPath,
    // Guest sign-in, as in bin/dev: only the local stack loads app-config.local-stack.yaml.
    [
      cli,
      'package',
      'start',
      '--config',
      '../../app-config.yaml',
      '--config',
      '../../app-config.local-stack.yaml',
      '--config',
      configFile,
    ],
    {
      cwd: join(repoRoot, 'packages/backend'),
      env: { ...process.env, ...options.env, NODE_ENV: 'development' },
      detached: true,
      stdio: ['ignore', out, out],
    },
  );

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const deadline = Date.now() + 10_000;
    while (
      child.exitCode === null &&
      child.signalCode === null &&
      Date.now() < deadline
    ) {
      await new Promise(r => setTimeout(r, 100));
    }
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // stopped cleanly
    }
  };

  const deadline = Date.now() + (options.timeoutMs ?? 240_000);
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `backend exited with ${child.exitCode}:\n${tail(logFile)}`,
      );
    }
    try {
      const res = await fetch(`${baseUrl}/.backstage/health/v1/readiness`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `backend not ready within the deadline:\n${tail(logFile)}`,
      );
    }
    await new Promise(r => setTimeout(r, 1000));
  }

  return {
    baseUrl,
    logFile,
    stop,
    async guestToken() {
      const res = await fetch(
        `${baseUrl}/api/auth/guest/refresh?env=development`,
        {
          headers: { 'x-requested-with': 'XMLHttpRequest' },
        },
      );
      if (!res.ok)
        throw new Error(
          `guest sign-in failed: ${res.status} ${await res.text()}`,
        );
      const body = (await res.json()) as {
        backstageIdentity: { token: string };
      };
      return body.backstageIdentity.token;
    },
  };
}

function tail(file: string, lines = 40): string {
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}
