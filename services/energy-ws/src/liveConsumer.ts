import type { Consumer, Kafka } from 'kafkajs';
import {
  RecordDecodeError,
  StreamName,
} from '@homelab/plugin-streaming-common';
import type { Logger } from '@homelab/service-kit';
import type { Metrics } from './metrics';
import { fromKafkaMessage, StreamRecord } from './record';

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
  await consumer.run({
    // Offsets are committed only so the group's lag is visible to the portal
    // and to redpanda_consumer_lag; clients resume from their own positions.
    autoCommit: true,
    // Every few seconds rather than after every batch: a commit per fetch is a
    // broker round trip that buys nothing here.
    autoCommitInterval: 5_000,
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
      await consumer.disconnect();
    },
  };
}
