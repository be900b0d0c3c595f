import { removeDir } from '../tmp';
import type { Supervised } from './supervisor';

export interface ServerLifecycle {
  /** Stops the server for good and removes its data. */
  stop(): Promise<void>;
  /** Stops it and starts it again on the same port, with the same data. */
  restart(): Promise<void>;
}

export interface LifecycleOptions {
  /** The server's run directory (data and log). */
  dir: string;
  /** Starts the process and waits until it answers. */
  launch: () => Promise<void>;
  /** The running process, if any; launch() replaces it. */
  current: () => Supervised | undefined;
  /** First start, when it needs more than launch() (e.g. initdb first). */
  firstStart?: () => Promise<void>;
}

/**
 * The lifecycle every single-process server here shares: a first start that
 * leaves nothing behind when it fails, a final stop that removes the data,
 * and a restart that keeps it (for the outage tests).
 */
export async function startLifecycle(
  options: LifecycleOptions,
): Promise<ServerLifecycle> {
  const { dir, launch, current } = options;
  try {
    await (options.firstStart ?? launch)();
  } catch (error) {
    await current()?.stop();
    removeDir(dir);
    throw error;
  }
  return {
    async stop() {
      await current()?.stop();
      removeDir(dir);
    },
    async restart() {
      await current()?.stop();
      await launch();
    },
  };
}
