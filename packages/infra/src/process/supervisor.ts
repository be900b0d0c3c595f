import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, copyFileSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerResource } from './cleanup';
import { logTail } from './logTail';

export interface SpawnOptions {
  /** Component name used in messages, e.g. "kafka broker 0". */
  name: string;
  command: string;
  args: string[];
  /** stdout and stderr are appended here; error messages quote its tail. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as another OS user (PostgreSQL refuses root). */
  uid?: number;
  gid?: number;
  /** The signal that makes this program shut down cleanly. */
  stopSignal?: NodeJS.Signals;
  /** How long a clean shutdown may take before the process group is killed. */
  stopTimeoutMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Supervised {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<ExitInfo>;
  isRunning(): boolean;
  stop(): Promise<ExitInfo>;
  logTail(lines?: number): string;
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    // Negative pid: the whole process group, so helpers the program forked go too.
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

/**
 * Starts a long-running program in its own process group with its output in a
 * log file, and registers it for cleanup when this process ends.
 */
export function supervise(options: SpawnOptions): Supervised {
  const {
    name,
    logFile,
    stopSignal = 'SIGTERM',
    stopTimeoutMs = 20_000,
  } = options;
  const fd = openSync(logFile, 'a');
  const child = (() => {
    try {
      return spawn(options.command, options.args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        uid: options.uid,
        gid: options.gid,
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
  })();

  let running = true;
  const exited = new Promise<ExitInfo>(resolve => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
    child.once('error', error => {
      running = false;
      resolve({ code: null, signal: null });
      // A spawn error (ENOENT, EACCES) is written where the user will look for it.
      appendFileSync(
        logFile,
        `\n[homelab-infra] could not start ${options.command}: ${error.message}\n`,
      );
    });
  });
  const pid = child.pid ?? -1;

  const unregister = registerResource({
    name,
    stop: () => stop().then(() => undefined),
    kill: () => {
      if (running && pid > 0) killGroup(pid, 'SIGKILL');
    },
  });

  let stopping: Promise<ExitInfo> | undefined;
  function stop(): Promise<ExitInfo> {
    stopping ??= (async () => {
      if (running && pid > 0) {
        // The clean-shutdown signal goes to the main process only: e.g. PostgreSQL
        // backends would treat SIGINT as "cancel query", not "shut down".
        try {
          process.kill(pid, stopSignal);
        } catch {
          // already gone
        }
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          exited.then(() => false),
          new Promise<boolean>(resolve => {
            timer = setTimeout(() => resolve(true), stopTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) killGroup(pid, 'SIGKILL');
      }
      const info = await exited;
      // Stragglers left in the group after the main process exited.
      if (pid > 0) killGroup(pid, 'SIGKILL');
      unregister();
      return info;
    })();
    return stopping;
  }

  return {
    name,
    pid,
    logFile,
    exited,
    isRunning: () => running,
    stop,
    logTail: (lines = 30) => logTail(logFile, lines),
  };
}

/** An Error for a component that did not come up, quoting its log. */
export function startupError(
  child: Pick<Supervised, 'name' | 'logFile' | 'logTail'>,
  reason: string,
): Error {
  // The run dir is removed after a failed start; the whole log is kept aside.
  const kept = path.join(
    os.tmpdir(),
    `homelab-infra-failed-${Date.now()}-${path.basename(child.logFile)}`,
  );
  let where = `full log: ${kept}`;
  try {
    copyFileSync(child.logFile, kept);
  } catch {
    where = `log: ${child.logFile}`;
  }
  return new Error(
    `${
      child.name
    } failed to start: ${reason}\n--- last 30 lines (${where}) ---\n${child.logTail(
      30,
    )}\n---`,
  );
}
