import {
  errorFrame,
  RecordDecodeError,
  StreamName,
} from '@homelab/pipeline-contracts';
import type { Logger } from '@homelab/service-kit';
import type { Metrics } from './metrics';
import { fromKafkaMessage } from './streamRecord';
import type { KafkaReplayer, ReplayOutcome } from './replay';
import type { StreamReplay } from './session';

export interface ResumeDeps {
  replayer: KafkaReplayer;
  topics: Record<StreamName, string>;
  metrics: Metrics;
  logger: Logger;
}

/** The part of a resume that reads Kafka; runs once the client's previous replay settled. */
export interface KafkaReplay {
  run(signal: AbortSignal): Promise<void>;
  /** Streams it replays, one after the other. */
  streams: StreamName[];
}

/**
 * The Kafka I/O of a resume that the session planned (ClientSession's
 * `beginResume`): for each stream, one after the other, read the log's
 * bounds, then the records from the client's positions up to them. What
 * counts as delivered, and the hand-over to live records, stay in the
 * session. Returned, not started: the connection runs at most one per
 * client at a time.
 */
export function readFromKafka(
  replays: StreamReplay[],
  send: (frame: string) => void,
  deps: ResumeDeps,
): KafkaReplay {
  return {
    streams: replays.map(r => r.stream),
    run: async signal => {
      for (const replay of replays)
        await replayStream(replay, send, deps, signal);
    },
  };
}

async function replayStream(
  replay: StreamReplay,
  send: (frame: string) => void,
  deps: ResumeDeps,
  signal: AbortSignal,
): Promise<void> {
  const { stream } = replay;
  const topic = deps.topics[stream];
  const stopTimer = deps.metrics.replayDuration.startTimer();
  let outcome: ReplayOutcome = 'cancelled_waiting';
  try {
    if (signal.aborted) return;
    const offsets = await deps.replayer.offsets(topic);
    const { ranges, expired, sources } = replay.bound(offsets);
    for (const source of sources) deps.metrics.resumes.inc({ source });
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
          if (replay.offer(fromKafkaMessage(stream, partition, message)))
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
    replay.finish();
  }
}
