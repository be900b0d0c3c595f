/** Helpers shared by this package's tests (not exported from the package). */

/** A name no other test, or earlier run against the same servers, has used. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random()
    .toString(36)
    .slice(2, 8)}`;
}

/** Waits until a condition holds, for assertions on eventually-consistent systems. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `Condition not met within ${timeoutMs} ms${
          lastError ? `: ${lastError}` : ''
        }`,
      );
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}
