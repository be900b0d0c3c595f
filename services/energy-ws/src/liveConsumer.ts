import type { Consumer, Kafka } from 'kafkajs';
import { RecordDecodeError, StreamName } from '@homelab/pipeline-contracts';
import type { Logger } from '@homelab/service-kit';
import type { Metrics } from './metrics';
import { fromKafkaMessage, StreamRecord } from './streamRecord';

/** How often the group's offsets are committed (they only make its lag visible). */
const COMMIT_INTERVAL_MS = 5_000;

export interface LiveConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: Record<StreamName, string>;
  fromBeginning: boolean;
  metrics: Metrics;
  logger: Logger;
  /** Called once per record, in offset order per partition, synchronously. */
  onRecord: (record: StreamRecord) => void;
}

export interface LiveConsumer {
  /** True once the group was joined and the first fetch returned. */
  joined(): boolean;
  stop(): Promise<void>;
}

/**
 * The one Kafka consumer per process: every record is read once and fanned
 * out in-process. The group id is per replica (config.ts), so each replica
 * gets every partition.
 */
export async function startLiveConsumer(
  options: LiveConsumerOptions,
): Promise<LiveConsumer> {
  const { kafka, groupId, metrics, logger } = options;
  const streamByTopic = new Map(
    Object.entries(options.topics).map(([s, t]) => [t, s as StreamName]),
  );
  const consumer: Consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  });
  // Ready means joined *and* fetched once: only then are the start offsets
  // resolved, so a record produced afterwards cannot fall before "latest".
  let joined = false;
  let fetched = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
    fetched = false;
  });
  consumer.on(consumer.events.FETCH, () => {
    fetched = joined;
  });
  consumer.on(consumer.events.CRASH, event => {
    joined = false;
    logger.error(
      { err: event.payload.error, restart: event.payload.restart },
      'live consumer crashed',
    );
  });
  await consumer.connect();
  await consumer.subscribe({
    topics: [...streamByTopic.keys()],
    fromBeginning: options.fromBeginning,
  });
  // Offsets are committed only so the group's lag is visible to the portal
  // and to redpanda_consumer_lag; clients resume from their own positions.
  // So they are committed here every few seconds, not by kafkajs: its
  // autoCommit commits after *every* batch, a broker round trip between the
  // batches of one fetch. That splits records produced together over several
  // event-loop turns, and each turn costs every client a write of its own.
  const processed = new Map<
    string,
    { topic: string; partition: number; offset: string }
  >();
  const committed = new Map<string, string>();
  const commit = async () => {
    const due = [...processed.entries()].filter(
      ([key, position]) => committed.get(key) !== position.offset,
    );
    if (due.length === 0) return;
    try {
      await consumer.commitOffsets(due.map(([, position]) => position));
      for (const [key, position] of due) committed.set(key, position.offset);
    } catch (err) {
      // The next round retries; only the lag figure is late meanwhile.
      logger.warn({ err }, 'committing the live consumer offsets failed');
    }
  };
  const commitTimer = setInterval(() => void commit(), COMMIT_INTERVAL_MS);
  commitTimer.unref();

  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const stream = streamByTopic.get(batch.topic)!;
      for (const message of batch.messages) {
        try {
          options.onRecord(fromKafkaMessage(stream, batch.partition, message));
        } catch (e) {
          if (!(e instanceof RecordDecodeError)) throw e;
          metrics.invalidRecords.inc({ topic: batch.topic });
          logger.warn(
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: message.offset,
              reason: e.message,
            },
            'skipping a record that is not canonical',
          );
        }
        resolveOffset(message.offset);
      }
      processed.set(`${batch.topic}:${batch.partition}`, {
        topic: batch.topic,
        partition: batch.partition,
        offset: (BigInt(batch.lastOffset()) + 1n).toString(),
      });
      metrics.consumed.inc(
        { topic: batch.topic, stream },
        batch.messages.length,
      );
      metrics.lag.set(
        {
          group: groupId,
          topic: batch.topic,
          partition: String(batch.partition),
        },
        Number(batch.offsetLag()),
      );
      await heartbeat();
    },
  });
  return {
    joined: () => joined && fetched,
    stop: async () => {
      clearInterval(commitTimer);
      await commit();
      await consumer.disconnect();
    },
  };
}
