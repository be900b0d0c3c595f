import type {
  LagTrend,
  LagTrendDirection,
} from '@homelab/plugin-streaming-common';

/** One stored reading of one partition, as the sampler writes it. */
export interface OffsetSample {
  at: number;
  topic: string;
  partition: number;
  committed: number | null;
  high: number;
}

/** The live reading the trend is computed for. */
export interface CurrentOffsets {
  topic: string;
  partition: number;
  committed: number | null;
  high: number;
}

export const TREND_WINDOW_MS = 5 * 60_000;

export const partitionKey = (topic: string, partition: number) =>
  `${topic}\u0000${partition}`;
const key = partitionKey;

function knownLag(committed: number | null, high: number): number {
  return committed === null ? 0 : Math.max(0, high - committed);
}

/**
 * Seconds since the oldest record the group has not read was written, from
 * when the sampled high watermark first passed the committed offset. The
 * current reading closes the series so records written since the last
 * sample count too.
 */
export function partitionLagSeconds(
  series: { at: number; high: number }[],
  committed: number | null,
  now: number,
): { seconds: number; lowerBound: boolean } | null {
  if (committed === null || series.length === 0) return null;
  const last = series[series.length - 1];
  if (last.high <= committed) return { seconds: 0, lowerBound: false };
  const first = series[0];
  if (first.high > committed) {
    return { seconds: Math.max(0, (now - first.at) / 1000), lowerBound: true };
  }
  for (let i = 1; i < series.length; i++) {
    const prev = series[i - 1];
    const next = series[i];
    if (next.high > committed) {
      // The record at offset `committed` is the (committed - prev.high + 1)th
      // written after prev; assume a steady rate between the two readings.
      const fraction = (committed - prev.high + 1) / (next.high - prev.high);
      const writtenAt = prev.at + fraction * (next.at - prev.at);
      return {
        seconds: Math.max(0, (now - writtenAt) / 1000),
        lowerBound: false,
      };
    }
  }
  return null;
}

function slopePerSecond(points: { at: number; lag: number }[]): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const t0 = points[0].at;
  const xs = points.map(p => (p.at - t0) / 1000);
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = points.reduce((a, p) => a + p.lag, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - meanX) * (points[i].lag - meanY);
    den += (xs[i] - meanX) ** 2;
  }
  return den === 0 ? null : num / den;
}

function direction(
  slope: number | null,
  windowSeconds: number,
  meanLag: number,
): LagTrendDirection {
  if (slope === null) return 'unknown';
  // A change smaller than 5 % of the lag (or one record) over the window is noise.
  const change = slope * windowSeconds;
  if (Math.abs(change) < Math.max(1, 0.05 * meanLag)) return 'steady';
  return change > 0 ? 'growing' : 'shrinking';
}

/**
 * Trend, rates, lag in seconds and time to catch up for one group, from its
 * stored samples (any order) and the reading just taken.
 */
export function computeTrend(
  samples: OffsetSample[],
  current: CurrentOffsets[],
  now: number,
): { trend: LagTrend; partitionSeconds: Map<string, number | null> } {
  const partitionSeconds = new Map<string, number | null>();
  const byTime = new Map<number, number>();
  const byPartition = new Map<string, OffsetSample[]>();
  for (const s of samples) {
    byTime.set(s.at, (byTime.get(s.at) ?? 0) + knownLag(s.committed, s.high));
    const k = key(s.topic, s.partition);
    if (!byPartition.has(k)) byPartition.set(k, []);
    byPartition.get(k)!.push(s);
  }
  const currentLag = current.reduce(
    (sum, c) => sum + knownLag(c.committed, c.high),
    0,
  );
  const series = [...byTime.entries()]
    .filter(([at]) => at < now)
    .sort((a, b) => a[0] - b[0])
    .map(([at, lag]) => ({ at, lag }));
  series.push({ at: now, lag: currentLag });

  const windowStart = now - TREND_WINDOW_MS;
  const windowPoints = series.filter(p => p.at >= windowStart);
  const slope = slopePerSecond(windowPoints);
  const windowSeconds =
    windowPoints.length > 1 ? (now - windowPoints[0].at) / 1000 : 0;
  const meanLag =
    windowPoints.reduce((a, p) => a + p.lag, 0) / windowPoints.length;

  let consumed = 0;
  let produced = 0;
  let rateSeconds = 0;
  let lagSeconds: number | null = null;
  let lowerBound = false;
  for (const c of current) {
    const history = (byPartition.get(key(c.topic, c.partition)) ?? []).sort(
      (a, b) => a.at - b.at,
    );
    const base = history.find(s => s.at >= windowStart);
    if (base && base.at < now) {
      produced += c.high - base.high;
      if (c.committed !== null && base.committed !== null)
        consumed += c.committed - base.committed;
      rateSeconds = Math.max(rateSeconds, (now - base.at) / 1000);
    }
    const est = partitionLagSeconds(
      [
        ...history.map(s => ({ at: s.at, high: s.high })),
        { at: now, high: c.high },
      ],
      c.committed,
      now,
    );
    partitionSeconds.set(key(c.topic, c.partition), est ? est.seconds : null);
    if (est && (lagSeconds === null || est.seconds > lagSeconds)) {
      lagSeconds = est.seconds;
      lowerBound = est.lowerBound;
    }
  }
  const consumeRate = rateSeconds > 0 ? consumed / rateSeconds : null;
  const produceRate = rateSeconds > 0 ? produced / rateSeconds : null;

  let timeToCatchUp: number | null = null;
  if (currentLag === 0) timeToCatchUp = 0;
  else if (
    consumeRate !== null &&
    produceRate !== null &&
    consumeRate > produceRate
  ) {
    timeToCatchUp = currentLag / (consumeRate - produceRate);
  }

  const trend: LagTrend = {
    direction: direction(slope, windowSeconds, meanLag),
    lagChangePerSecond: slope,
    consumeRatePerSecond: consumeRate,
    produceRatePerSecond: produceRate,
    lagSeconds,
    lagSecondsIsLowerBound: lowerBound,
    timeToCatchUpSeconds: timeToCatchUp,
    samples: series.map(p => ({
      at: new Date(p.at).toISOString(),
      lag: p.lag,
    })),
  };
  return { trend, partitionSeconds };
}
