import { computeTrend, partitionLagSeconds } from './trend';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const at = (s: number) => T0 + s * 1000;

describe('partitionLagSeconds', () => {
  const series = [
    { at: at(0), high: 100 },
    { at: at(30), high: 130 },
    { at: at(60), high: 160 },
  ];

  it('is zero when the group is at the head', () => {
    expect(partitionLagSeconds(series, 160, at(60))).toEqual({
      seconds: 0,
      lowerBound: false,
    });
  });

  it('interpolates when the unread record was written between samples', () => {
    // Offset 115 is the 16th record after t=0 at 1 record/s: written at t≈16 s, now t=60.
    expect(partitionLagSeconds(series, 115, at(60))!.seconds).toBeCloseTo(
      44,
      5,
    );
  });

  it('gives a lower bound when the samples do not reach back far enough', () => {
    expect(partitionLagSeconds(series, 50, at(60))).toEqual({
      seconds: 60,
      lowerBound: true,
    });
  });

  it('is unknown without a committed offset', () => {
    expect(partitionLagSeconds(series, null, at(60))).toBeNull();
  });
});

describe('computeTrend', () => {
  const sample = (
    s: number,
    committed: number | null,
    high: number,
    partition = 0,
  ) => ({
    at: at(s),
    topic: 't',
    partition,
    committed,
    high,
  });

  it('sees a growing lag and does not promise a catch-up', () => {
    const samples = [0, 30, 60, 90].map(s => sample(s, 100 + s / 2, 100 + s));
    const { trend } = computeTrend(
      samples,
      [{ topic: 't', partition: 0, committed: 160, high: 220 }],
      at(120),
    );
    expect(trend.direction).toBe('growing');
    expect(trend.produceRatePerSecond).toBeCloseTo(1, 5);
    expect(trend.consumeRatePerSecond).toBeCloseTo(0.5, 5);
    expect(trend.timeToCatchUpSeconds).toBeNull();
    expect(trend.samples.map(s => s.lag)).toEqual([0, 15, 30, 45, 60]);
  });

  it('estimates the time to catch up from the net consume rate', () => {
    // Producing 1/s, consuming 3/s: lag 100 shrinks by 2/s.
    const samples = [0, 30, 60].map(s =>
      sample(s, 1000 + 3 * s - 280, 1000 + s),
    );
    const now = 90;
    const { trend } = computeTrend(
      samples,
      [
        {
          topic: 't',
          partition: 0,
          committed: 1000 + 3 * now - 280,
          high: 1000 + now,
        },
      ],
      at(now),
    );
    expect(trend.direction).toBe('shrinking');
    const lag = 1000 + now - (1000 + 3 * now - 280);
    expect(trend.timeToCatchUpSeconds).toBeCloseTo(lag / 2, 5);
  });

  it('is unknown with no history, but still knows a caught-up group needs no time', () => {
    const { trend } = computeTrend(
      [],
      [{ topic: 't', partition: 0, committed: 10, high: 10 }],
      at(0),
    );
    expect(trend.direction).toBe('unknown');
    expect(trend.timeToCatchUpSeconds).toBe(0);
  });

  it('reports the worst partition in seconds', () => {
    const samples = [
      sample(0, 0, 100, 0),
      sample(0, 0, 100, 1),
      sample(60, 0, 160, 0),
      sample(60, 0, 160, 1),
    ];
    const { trend, partitionSeconds } = computeTrend(
      samples,
      [
        { topic: 't', partition: 0, committed: 160, high: 160 },
        { topic: 't', partition: 1, committed: 130, high: 160 },
      ],
      at(60),
    );
    expect(partitionSeconds.get('t\u00000')).toBe(0);
    expect(partitionSeconds.get('t\u00001')).toBeCloseTo(29, 5);
    expect(trend.lagSeconds).toBeCloseTo(29, 5);
    expect(trend.lagSecondsIsLowerBound).toBe(false);
  });
});
