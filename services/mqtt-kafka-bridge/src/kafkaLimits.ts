import type { Admin } from 'kafkajs';
import { ConfigResourceTypes, Partitioners } from 'kafkajs';

/** What the bridge must know about its topics before it sends anything. */
export interface TopicFacts {
  partitions: Map<string, number>;
  /** The topic's effective `max.message.bytes` (or the broker's `message.max.bytes`). */
  maxMessageBytes: Map<string, number>;
}

/** Kafka's own default for both settings. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Room for the record batch header and the produce request around it. */
const BATCH_OVERHEAD_BYTES = 512;

async function brokerMessageMaxBytes(
  admin: Admin,
): Promise<number | undefined> {
  const { brokers } = await admin.describeCluster();
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: brokers.map(b => ({
      type: ConfigResourceTypes.BROKER,
      name: String(b.nodeId),
      configNames: ['message.max.bytes'],
    })),
  });
  const values = resources.flatMap(r =>
    r.configEntries.map(e => Number(e.configValue)),
  );
  return values.length ? Math.min(...values) : undefined;
}

/**
 * Reads partition counts and byte limits of the topics at start. The limits
 * bound every produce request (see batch.ts), so a batch of records that are
 * each fine never adds up to MESSAGE_TOO_LARGE.
 */
export async function readTopicFacts(
  admin: Admin,
  topics: string[],
): Promise<TopicFacts> {
  const metadata = await admin.fetchTopicMetadata({ topics });
  const partitions = new Map(
    metadata.topics.map(t => [t.name, t.partitions.length]),
  );
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map(name => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configNames: ['max.message.bytes'],
    })),
  });
  const brokerLimit =
    (await brokerMessageMaxBytes(admin).catch(() => undefined)) ??
    KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  const maxMessageBytes = new Map<string, number>();
  for (const topic of topics) {
    const entry = resources
      .find(r => r.resourceName === topic)
      ?.configEntries.find(e => e.configName === 'max.message.bytes');
    const topicLimit = Number(entry?.configValue);
    maxMessageBytes.set(
      topic,
      Number.isFinite(topicLimit) && topicLimit > 0 ? topicLimit : brokerLimit,
    );
  }
  return { partitions, maxMessageBytes };
}

/** Bytes of records one produce request may carry: under every topic's limit. */
export function requestBudget(
  facts: TopicFacts,
  configuredMax: number,
): number {
  return (
    Math.min(configuredMax, ...facts.maxMessageBytes.values()) -
    BATCH_OVERHEAD_BYTES
  );
}

/**
 * The partition of a keyed message, as kafkajs' DefaultPartitioner (Java's
 * murmur2) would pick it, fixed on the message before it is sent. Knowing it
 * lets batch.ts resend exactly one partition's records after a partial
 * failure. Partitions added while the bridge runs are used after a restart.
 */
export function partitionerFor(
  facts: TopicFacts,
): (topic: string, key: string) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  const metadata = new Map(
    [...facts.partitions].map(([topic, n]) => [
      topic,
      Array.from({ length: n }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [],
        isr: [],
      })),
    ]),
  );
  return (topic, key) =>
    partitioner({
      topic,
      partitionMetadata: metadata.get(topic) ?? [],
      message: { key, value: null },
    });
}
