import type {
  LagState,
  PartitionLag,
  TopicLag,
  WorstPartition,
} from '@homelab/plugin-streaming-common';

/**
 * Kafka answers "no committed offset" with -1. Everything else about a
 * partition's lag follows from three offsets; this is the one place that
 * decides which state a partition is in.
 */
export function partitionLag(
  partition: number,
  committed: number | null,
  logStartOffset: number,
  highWatermark: number,
): PartitionLag {
  if (committed === null || committed < 0) {
    return {
      partition,
      committedOffset: null,
      logStartOffset,
      highWatermark,
      lag: null,
      state: 'no-committed-offset',
    };
  }
  // Lag is measured from the committed offset as Kafka's own tool does, so the
  // figures match it; the state says when that number is not the whole story.
  const lag = highWatermark - committed;
  let state: LagState = 'ok';
  const result: PartitionLag = {
    partition,
    committedOffset: committed,
    logStartOffset,
    highWatermark,
    lag,
    state,
  };
  if (committed > highWatermark) {
    state = 'negative';
  } else if (committed < logStartOffset) {
    state = 'below-log-start';
    result.lostRecords = logStartOffset - committed;
  }
  result.state = state;
  return result;
}

export function topicTotal(partitions: PartitionLag[]): number {
  return partitions.reduce(
    (sum, p) => sum + (p.lag !== null && p.lag > 0 ? p.lag : 0),
    0,
  );
}

const STATE_RANK: Record<LagState, number> = {
  'below-log-start': 3,
  negative: 2,
  'no-committed-offset': 1,
  ok: 0,
};

/**
 * The partition a reader should look at first: the largest lag, with data
 * loss ranked above everything because it cannot be caught up.
 */
export function worstPartition(topics: TopicLag[]): WorstPartition | undefined {
  let worst: WorstPartition | undefined;
  for (const t of topics) {
    for (const p of t.partitions) {
      const candidate = {
        topic: t.topic,
        partition: p.partition,
        lag: p.lag ?? 0,
        state: p.state,
      };
      if (!worst || isWorse(candidate, worst)) worst = candidate;
    }
  }
  return worst;
}

function isWorse(a: WorstPartition, b: WorstPartition): boolean {
  const aLost = a.state === 'below-log-start';
  const bLost = b.state === 'below-log-start';
  if (aLost !== bLost) return aLost;
  if (a.lag !== b.lag) return a.lag > b.lag;
  return STATE_RANK[a.state] > STATE_RANK[b.state];
}

export function stateCounts(
  topics: TopicLag[],
): Partial<Record<LagState, number>> {
  const counts: Partial<Record<LagState, number>> = {};
  for (const t of topics) {
    for (const p of t.partitions) counts[p.state] = (counts[p.state] ?? 0) + 1;
  }
  return counts;
}
