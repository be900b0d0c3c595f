/** What a probe may answer: a value when the wait is over, or one of these while it is not. */
export type NotYet = undefined | null | false;

export interface EventuallyOptions {
  /** How long to keep asking before the test fails; default 30 s. */
  timeoutMs?: number;
  /** The pause between two questions; default 100 ms. */
  intervalMs?: number;
}

/**
 * Asks `probe` until it answers something other than undefined, null or
 * false, and resolves with that answer (0 and '' count as answers). A probe
 * that throws is asked again (the systems under test are eventually
 * consistent, and a server that is still starting refuses connections),
 * unless it threw a failed `expect()`, which fails the wait at once. At the
 * deadline it fails naming `what` and the last error, which makes it an
 * assertion in its own right.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | NotYet | Promise<T | NotYet>,
  options: EventuallyOptions = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 100 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false)
        return value as T;
      lastError = undefined;
    } catch (error) {
      // A failed expect() in the probe is the test's verdict, not a system
      // still settling: asking again could pass on a later answer and hide it.
      if (isAssertionError(error)) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason =
        lastError === undefined
          ? ''
          : `: ${lastError instanceof Error ? lastError.message : lastError}`;
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${reason}`,
        { cause: lastError },
      );
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}

/** Jest's failed matchers carry their result; nothing else does. */
function isAssertionError(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'matcherResult' in error
  );
}
