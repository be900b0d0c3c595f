import type { PromSample } from './promText';

/**
 * One reading of a source at one time, reduced to flat numbers:
 * `<name>` is the sum of a sample name over all its label sets, and
 * `<histogram>_bucket{le=<le>}` keeps each bucket apart.
 */
export interface Snapshot {
  at: number;
  values: Record<string, number>;
}

export const bucketKey = (histogram: string, le: string) =>
  `${histogram}_bucket{le=${le}}`;

/** Sums samples per name (and per `le` for buckets) over the other labels. */
export function reduceSamples(
  samples: PromSample[],
  keep: (name: string) => boolean,
): Record<string, number> {
  const values: Record<string, number> = {};
  for (const s of samples) {
    if (!keep(s.name) || !Number.isFinite(s.value)) continue;
    const key =
      s.name.endsWith('_bucket') && s.labels.le !== undefined
        ? bucketKey(s.name.slice(0, -'_bucket'.length), s.labels.le)
        : s.name;
    values[key] = (values[key] ?? 0) + s.value;
  }
  return values;
}

/**
 * Snapshots of one source, oldest first, kept for `maxAgeMs` and never more
 * than `maxCount`, so a fast scrape interval cannot grow memory.
 */
export class SnapshotHistory {
  private readonly snapshots: Snapshot[] = [];

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxCount = 2000,
  ) {}

  add(snapshot: Snapshot) {
    this.snapshots.push(snapshot);
    const oldest = snapshot.at - this.maxAgeMs;
    while (
      this.snapshots.length > this.maxCount ||
      (this.snapshots.length > 1 && this.snapshots[0].at < oldest)
    )
      this.snapshots.shift();
  }

  latest(): Snapshot | undefined {
    return this.snapshots[this.snapshots.length - 1];
  }

  /** Snapshots no older than `windowMs` before the newest one. */
  within(windowMs: number): Snapshot[] {
    const newest = this.latest();
    if (!newest) return [];
    return this.snapshots.filter(s => s.at >= newest.at - windowMs);
  }
}

export type Windowed =
  | { value: number; windowSeconds: number }
  | { value: null; reason: string };

const NOT_ENOUGH =
  'measuring: two scrapes are needed, the next one is due shortly';

/**
 * How much a counter grew over the snapshots, as Prometheus' `increase`
 * does: a value lower than the one before is a restart, counted from 0.
 */
export function increase(snapshots: Snapshot[], key: string): Windowed {
  const points = snapshots.filter(s => key in s.values);
  if (points.length < 2) {
    if (snapshots.length >= 1 && points.length === 0)
      return { value: null, reason: `metric ${key} is not exported` };
    return { value: null, reason: NOT_ENOUGH };
  }
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1].values[key];
    const cur = points[i].values[key];
    total += cur >= prev ? cur - prev : cur;
  }
  return {
    value: total,
    windowSeconds: (points[points.length - 1].at - points[0].at) / 1000,
  };
}

/** Per-second rate of a counter (or of several counters summed) over the snapshots. */
export function rate(snapshots: Snapshot[], keys: string[]): Windowed {
  let sum = 0;
  let window: number | undefined;
  for (const key of keys) {
    const inc = increase(snapshots, key);
    if (inc.value === null) return inc;
    sum += inc.value;
    window = Math.max(window ?? 0, inc.windowSeconds);
  }
  if (!window) return { value: null, reason: NOT_ENOUGH };
  return { value: sum / window, windowSeconds: window };
}

/**
 * `histogram_quantile` over cumulative buckets: linear interpolation inside
 * the bucket the rank falls in; the `+Inf` bucket answers its lower bound.
 */
export function bucketQuantile(
  q: number,
  buckets: Array<{ le: number; count: number }>,
): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lowerLe;
      const inBucket = b.count - lowerCount;
      return inBucket > 0
        ? lowerLe + ((b.le - lowerLe) * (rank - lowerCount)) / inBucket
        : b.le;
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return lowerLe;
}

export type WindowedQuantiles =
  | { p50: number; p99: number; windowSeconds: number; observations: number }
  | { p50: null; p99: null; reason: string };

/**
 * p50 and p99 of what a histogram observed between the first and the last
 * snapshot, from the growth of each bucket, so old observations do not
 * weigh on "the last minutes".
 */
export function windowQuantiles(
  snapshots: Snapshot[],
  histogram: string,
): WindowedQuantiles {
  const prefix = `${histogram}_bucket{le=`;
  const first = snapshots[0];
  const last = snapshots[snapshots.length - 1];
  if (!last) return { p50: null, p99: null, reason: NOT_ENOUGH };
  const keys = Object.keys(last.values).filter(k => k.startsWith(prefix));
  if (!keys.length)
    return {
      p50: null,
      p99: null,
      reason: `histogram ${histogram} is not exported`,
    };
  if (snapshots.length < 2) return { p50: null, p99: null, reason: NOT_ENOUGH };
  const buckets = keys.map(k => {
    const inc = increase(snapshots, k);
    const le = k.slice(prefix.length, -1);
    return {
      le: le === '+Inf' ? Infinity : Number(le),
      count: inc.value ?? 0,
    };
  });
  const observations = Math.max(...buckets.map(b => b.count));
  const windowSeconds = (last.at - first.at) / 1000;
  const p50 = bucketQuantile(0.5, buckets);
  const p99 = bucketQuantile(0.99, buckets);
  if (p50 === null || p99 === null)
    return {
      p50: null,
      p99: null,
      reason: `no records observed in the last ${Math.round(windowSeconds)} s`,
    };
  return { p50, p99, windowSeconds, observations };
}
