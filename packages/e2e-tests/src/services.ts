import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './portal';

const logDir = join(repoRoot, 'test-artifacts', 'logs');

/** One homelab service run as `yarn workspace <name> start`. */
export interface RunningService {
  name: string;
  logFile: string;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** SIGTERM and wait: the graceful path. */
  stop(): Promise<void>;
  /** Starts it again with the same environment and waits until healthy. */
  restart(): Promise<void>;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess) {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitForExit(child: ChildProcess, ms: number) {
  const deadline = Date.now() + ms;
  while (!exited(child) && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 100));
  }
}

export async function startService(
  name: string,
  env: Record<string, string>,
  healthUrl: string,
  timeoutMs = 120_000,
): Promise<RunningService> {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  let child: ChildProcess;

  const launch = async () => {
    const out = openSync(logFile, 'a');
    // A process group of its own: yarn → tsx → node all go down together.
    child = spawn(join(repoRoot, 'bin/yarn'), ['workspace', name, 'start'], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', out, out],
    });
    const deadline = Date.now() + timeoutMs;
    while (!(await healthy(healthUrl))) {
      if (exited(child)) {
        throw new Error(
          `${name} exited with ${child.exitCode}:\n${tail(logFile)}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${name} not healthy at ${healthUrl}:\n${tail(logFile)}`,
        );
      }
      await new Promise(r => setTimeout(r, 500));
    }
  };

  const signal = async (sig: NodeJS.Signals, waitMs: number) => {
    if (exited(child)) return;
    try {
      process.kill(-child.pid!, sig);
    } catch {
      return;
    }
    await waitForExit(child, waitMs);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone
    }
  };

  await launch();
  return {
    name,
    logFile,
    kill: () => signal('SIGKILL', 5_000),
    stop: () => signal('SIGTERM', 20_000),
    restart: launch,
  };
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
