import {
  formatPosition,
  Position,
  RecordDecodeError,
  StreamName,
} from '@homelab/plugin-streaming-common';
import type { Logger } from '@homelab/service-kit';
import type { Metrics } from './metrics';
import { errorFrame } from './protocol';
import { fromKafkaMessage } from './record';
import type { RecentRecords } from './recentRecords';
import type { KafkaReplayer, PartitionRange, ReplayOutcome } from './replay';
import type { ClientSession } from './session';

export interface ResumeDeps {
  recent: RecentRecords;
  replayer: KafkaReplayer;
  topics: Record<StreamName, string>;
  metrics: Metrics;
  logger: Logger;
}

/** One position per stream partition: the earliest, so a duplicate can cost a repeat but never a gap. */
export function uniquePositions(positions: Position[]): Position[] {
  const byPartition = new Map<string, Position>();
  for (const position of positions) {
    const key = `${position.stream}:${position.partition}`;
    const known = byPartition.get(key);
    if (!known || Number(position.offset) < Number(known.offset))
      byPartition.set(key, position);
  }
  return [...byPartition.values()];
}

/** The part of a resume that reads Kafka; runs once the client's previous replay settled. */
export interface KafkaReplay {
  run(signal: AbortSignal): Promise<void>;
  /** Streams it replays, one after the other. */
  streams: StreamName[];
}

/**
 * Sends a client what it missed after its positions, then lets it go live.
 *
 * The part served from the in-memory buffer runs synchronously, before any
 * other live record can be offered, so it needs no hand-over. Partitions the
 * buffer does not cover are held back (live records wait in the session)
 * *before* the high watermark is read, then replayed from Kafka up to it;
 * live records wait meanwhile and below the cursor are dropped, so the
 * switch has neither gap nor duplicate. That Kafka part is returned, not
 * started: the connection runs at most one per client at a time, one stream
 * after the other, each partition at most once.
 */
export function resume(
  session: ClientSession,
  generation: number,
  positions: Position[],
  send: (frame: string) => void,
  deps: ResumeDeps,
): KafkaReplay | undefined {
  const fromKafka = new Map<StreamName, Map<number, number>>();
  for (const position of uniquePositions(positions)) {
    const next = Number(position.offset) + 1;
    const buffered = deps.recent.since(
      position.stream,
      position.partition,
      next,
    );
    session.setCursor(position.stream, position.partition, next);
    if (buffered) {
      let sent = 0;
      for (const record of buffered)
        if (session.offerReplayed(record, generation)) sent++;
      deps.metrics.resumes.inc({ source: 'buffer' });
      deps.metrics.replayed.inc({ source: 'buffer' }, sent);
      deps.metrics.broadcast.inc({ stream: position.stream }, sent);
      continue;
    }
    session.holdLive(position.stream, position.partition);
    let partitions = fromKafka.get(position.stream);
    if (!partitions) fromKafka.set(position.stream, (partitions = new Map()));
    partitions.set(position.partition, next);
  }
  if (fromKafka.size === 0) return undefined;
  return {
    streams: [...fromKafka.keys()],
    run: async signal => {
      for (const [stream, partitions] of fromKafka)
        await replayStream(
          session,
          generation,
          stream,
          partitions,
          send,
          deps,
          signal,
        );
    },
  };
}

async function replayStream(
  session: ClientSession,
  generation: number,
  stream: StreamName,
  wanted: Map<number, number>,
  send: (frame: string) => void,
  deps: ResumeDeps,
  signal: AbortSignal,
): Promise<void> {
  const topic = deps.topics[stream];
  const stopTimer = deps.metrics.replayDuration.startTimer();
  let outcome: ReplayOutcome = 'cancelled_waiting';
  try {
    if (signal.aborted) return;
    const offsets = await deps.replayer.offsets(topic);
    const ranges = new Map<number, PartitionRange>();
    const expired: string[] = [];
    for (const [partition, next] of wanted) {
      const known = offsets.find(o => o.partition === partition);
      if (!known) {
        // A partition the topic does not have (any more): nothing to replay.
        deps.metrics.resumes.inc({ source: 'none' });
        continue;
      }
      let from = next;
      const isExpired = from < known.low;
      if (isExpired) {
        expired.push(
          formatPosition({ stream, partition, offset: String(known.low) }),
        );
        from = known.low;
      }
      // A position beyond the log end (e.g. the topic was recreated) must not
      // make the session drop the next live records as already seen.
      from = Math.min(from, known.high);
      session.setCursor(stream, partition, from);
      ranges.set(partition, { from, to: known.high });
      deps.metrics.resumes.inc({ source: isExpired ? 'expired' : 'kafka' });
    }
    if (signal.aborted) return;
    if (expired.length > 0) {
      send(
        errorFrame(
          'POSITION_EXPIRED',
          `Requested position is older than the oldest record still in Kafka; records before ${expired.join(
            ', ',
          )} are gone. Continuing from the oldest available.`,
          expired,
        ),
      );
    }
    let sent = 0;
    outcome = await deps.replayer.read(
      topic,
      ranges,
      offsets.map(o => o.partition),
      (partition, message) => {
        try {
          if (
            session.offerReplayed(
              fromKafkaMessage(stream, partition, message),
              generation,
            )
          )
            sent++;
        } catch (e) {
          if (!(e instanceof RecordDecodeError)) throw e;
        }
      },
      signal,
    );
    deps.metrics.replayed.inc({ source: 'kafka' }, sent);
    deps.metrics.broadcast.inc({ stream }, sent);
  } catch (e) {
    outcome = signal.aborted ? 'cancelled' : 'failed';
    if (signal.aborted) return;
    deps.logger.warn({ err: e, stream }, 'replay from Kafka failed');
    send(
      errorFrame(
        'POSITION_EXPIRED',
        `Could not replay missed ${stream} records from Kafka (${
          (e as Error).message
        }); continuing with live data`,
      ),
    );
  } finally {
    stopTimer();
    deps.metrics.replays.inc({ outcome });
    for (const partition of wanted.keys())
      session.releaseLive(stream, partition, generation);
  }
}
