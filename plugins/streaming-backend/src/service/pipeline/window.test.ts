import {
  bucketQuantile,
  bucketKey,
  increase,
  rate,
  Snapshot,
  SnapshotHistory,
  windowQuantiles,
} from './window';

const snap = (at: number, values: Record<string, number>): Snapshot => ({
  at,
  values,
});

describe('pipeline window math', () => {
  it('rates a counter over two scrapes and counts a restart from zero', () => {
    expect(rate([snap(0, { c: 10 }), snap(5000, { c: 60 })], ['c'])).toEqual({
      value: 10,
      windowSeconds: 5,
    });
    expect(
      increase(
        [snap(0, { c: 100 }), snap(1000, { c: 5 }), snap(2000, { c: 9 })],
        'c',
      ),
    ).toEqual({
      value: 9,
      windowSeconds: 2,
    });
  });

  it('says why a rate is unknown instead of answering 0', () => {
    expect(rate([snap(0, { c: 1 })], ['c'])).toMatchObject({
      value: null,
      reason: expect.stringMatching(/two scrapes/),
    });
    expect(rate([snap(0, {}), snap(1000, {})], ['c'])).toMatchObject({
      value: null,
      reason: 'metric c is not exported',
    });
  });

  it('interpolates quantiles inside buckets like histogram_quantile', () => {
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 1, count: 100 },
      { le: Infinity, count: 100 },
    ];
    expect(bucketQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(bucketQuantile(0.99, buckets)).toBeCloseTo(0.982);
    expect(bucketQuantile(0.5, [{ le: Infinity, count: 0 }])).toBeNull();
  });

  it('takes p50/p99 from the growth of the buckets, not from old observations', () => {
    const hist = (fast: number, slow: number) => ({
      [bucketKey('h', '0.01')]: fast,
      [bucketKey('h', '1')]: fast + slow,
      [bucketKey('h', '+Inf')]: fast + slow,
    });
    // 1000 slow observations before the window, then 100 fast ones in it.
    const q = windowQuantiles(
      [snap(0, hist(0, 1000)), snap(60_000, hist(100, 1000))],
      'h',
    );
    expect(q).toMatchObject({ windowSeconds: 60, observations: 100 });
    expect(q.p99).toBeLessThanOrEqual(0.01);
    expect(
      windowQuantiles([snap(0, hist(1, 1)), snap(1000, hist(1, 1))], 'h'),
    ).toMatchObject({
      p50: null,
      reason: expect.stringMatching(/no records/),
    });
    expect(windowQuantiles([snap(0, {})], 'x')).toMatchObject({
      reason: 'histogram x is not exported',
    });
  });

  it('keeps history bounded in age and count', () => {
    const history = new SnapshotHistory(10_000, 3);
    for (let t = 0; t <= 20_000; t += 1000) history.add(snap(t, { c: t }));
    expect(history.within(60_000).map(s => s.at)).toEqual([
      18_000, 19_000, 20_000,
    ]);
    const aged = new SnapshotHistory(2500);
    for (let t = 0; t <= 10_000; t += 1000) aged.add(snap(t, {}));
    expect(aged.within(60_000).map(s => s.at)).toEqual([8000, 9000, 10_000]);
  });
});
