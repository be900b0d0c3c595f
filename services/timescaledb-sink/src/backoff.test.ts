import { backoffDelay, retryForever, RetryAborted } from './backoff';

describe('retryForever', () => {
  const fast = { initialMs: 1, maxMs: 4, sleep: async () => {} };

  it('keeps trying past any fixed limit until the call succeeds', async () => {
    let calls = 0;
    const result = await retryForever(
      async () => {
        if (++calls < 50) throw new Error('down');
        return 'ok';
      },
      { ...fast, shouldRetry: () => true },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(50);
  });

  it('rethrows errors it should not retry', async () => {
    await expect(
      retryForever(async () => Promise.reject(new Error('bad record')), {
        ...fast,
        shouldRetry: () => false,
      }),
    ).rejects.toThrow('bad record');
  });

  it('stops when asked to hand the work back', async () => {
    let stopping = false;
    const attempt = retryForever(
      async () => Promise.reject(new Error('down')),
      {
        ...fast,
        shouldRetry: () => true,
        onRetry: (_e, n) => {
          if (n === 3) stopping = true;
        },
        abortReason: () => (stopping ? 'stopping' : undefined),
      },
    );
    await expect(attempt).rejects.toBeInstanceOf(RetryAborted);
  });

  it('grows the delay exponentially up to the maximum', () => {
    const opts = { initialMs: 100, maxMs: 1000 };
    expect(backoffDelay(0, opts, () => 1)).toBe(100);
    expect(backoffDelay(3, opts, () => 1)).toBe(800);
    expect(backoffDelay(10, opts, () => 1)).toBe(1000);
    expect(backoffDelay(10, opts, () => 0)).toBe(500);
  });
});
