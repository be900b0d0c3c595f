import { startupError, Supervised } from './supervisor';

export interface WaitOptions {
  /** Resolves truthy once the component answers like a healthy one. */
  check: () => Promise<boolean>;
  timeoutMs: number;
  intervalMs?: number;
  /** Adds evidence to the log (e.g. a thread dump) before a timed-out process is stopped. */
  diagnose?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Polls a health check until it passes. Fails fast, quoting the log, when a
 * process exits first, and names the timeout (stopping the processes) when it
 * never becomes healthy.
 */
export async function waitReady(
  processes: Supervised | Supervised[],
  { check, timeoutMs, intervalMs = 250, diagnose }: WaitOptions,
): Promise<void> {
  const children = Array.isArray(processes) ? processes : [processes];
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const dead = children.find(child => !child.isRunning());
    if (dead) {
      const { code, signal } = await dead.exited;
      throw startupError(
        dead,
        `the process exited (code ${code}, signal ${signal}) before it became healthy`,
      );
    }
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail =
        lastError instanceof Error
          ? ` Last health-check error: ${lastError.message}`
          : '';
      await diagnose?.().catch(() => undefined);
      await Promise.all(children.map(child => child.stop()));
      throw startupError(
        children[0],
        `not healthy after ${Math.round(timeoutMs / 1000)} s.${detail}`,
      );
    }
    await sleep(intervalMs);
  }
}
