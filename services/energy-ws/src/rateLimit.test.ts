import { InboundRateLimit } from './rateLimit';

describe('inbound rate limit', () => {
  it('allows a burst, then the rate; warns once, then closes a client that keeps going', () => {
    let now = 0;
    const limit = new InboundRateLimit(
      { framesPerSecond: 10, burst: 3, closeAfterDropped: 2 },
      () => now,
    );
    expect([1, 2, 3].map(() => limit.take())).toEqual([
      'accept',
      'accept',
      'accept',
    ]);
    expect(limit.take()).toBe('warn');
    now += 100; // one token back
    expect(limit.take()).toBe('accept');
    expect([1, 2, 3].map(() => limit.take())).toEqual([
      'warn',
      'drop',
      'close',
    ]);
  });

  it('refills to the burst, no further', () => {
    let now = 0;
    const limit = new InboundRateLimit(
      { framesPerSecond: 1000, burst: 2, closeAfterDropped: 5 },
      () => now,
    );
    now += 60_000;
    expect([1, 2, 3].map(() => limit.take())).toEqual([
      'accept',
      'accept',
      'warn',
    ]);
  });
});
