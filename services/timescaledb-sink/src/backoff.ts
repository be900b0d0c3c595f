/** Thrown out of a retry loop when the work should be handed back instead. */
export class RetryAborted extends Error {
  constructor(reason: string) {
    super(`retry aborted: ${reason}`);
    this.name = 'RetryAborted';
  }
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** Exponential delay with full jitter, so replicas do not retry in lockstep. */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random = Math.random,
): number {
  const ceiling = Math.min(
    opts.maxMs,
    opts.initialMs * 2 ** Math.min(attempt, 30),
  );
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface RetryForeverOptions extends BackoffOptions {
  /** Errors for which another try makes sense; others are rethrown at once. */
  shouldRetry: (err: unknown) => boolean;
  /** Called before each wait; may keep a Kafka session alive. */
  onRetry?: (
    err: unknown,
    attempt: number,
    delayMs: number,
  ) => Promise<void> | void;
  /** Returns a reason to stop retrying (shutdown, partition revoked), if any. */
  abortReason?: () => string | undefined;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms));

/**
 * Retries without a limit: a sink that gives up on a database outage either
 * loses data or crashes, and both are worse than waiting.
 */
export async function retryForever<T>(
  fn: () => Promise<T>,
  opts: RetryForeverOptions,
): Promise<T> {
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!opts.shouldRetry(e)) throw e;
      const delay = backoffDelay(attempt, opts);
      await opts.onRetry?.(e, attempt + 1, delay);
      // Wait in short steps so a shutdown or a revoked partition is noticed.
      for (let waited = 0; waited < delay; waited += 250) {
        const reason = opts.abortReason?.();
        if (reason) throw new RetryAborted(reason);
        await sleep(Math.min(250, delay - waited));
      }
      const reason = opts.abortReason?.();
      if (reason) throw new RetryAborted(reason);
    }
  }
}
