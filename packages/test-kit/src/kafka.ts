import { Admin, Kafka, logLevel } from 'kafkajs';
import { eventually } from './eventually';

/** A connected admin client, or the brokers to connect one to for this call. */
export type KafkaTarget = Admin | string[];

async function withAdmin<T>(
  target: KafkaTarget,
  use: (admin: Admin) => Promise<T>,
): Promise<T> {
  if (!Array.isArray(target)) return use(target);
  const admin = new Kafka({
    brokers: target,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates topics and waits until every partition has a leader. Not kafkajs'
 * `waitForLeaders`: it gives up on UNKNOWN_TOPIC_OR_PARTITION while KRaft
 * metadata propagates, which happens on a loaded machine.
 */
export async function createTopics(
  target: KafkaTarget,
  topics: string[],
  partitions = 1,
): Promise<void> {
  await withAdmin(target, async admin => {
    await admin.createTopics({
      waitForLeaders: false,
      topics: topics.map(topic => ({ topic, numPartitions: partitions })),
    });
    await eventually(
      `leaders for every partition of ${topics.join(', ')}`,
      () =>
        admin
          .fetchTopicMetadata({ topics })
          .then(m =>
            m.topics.every(
              t =>
                t.partitions.length === partitions &&
                t.partitions.every(p => p.leader >= 0),
            ),
          ),
      { timeoutMs: 30_000, intervalMs: 20 },
    );
  });
}

/**
 * Deletes a test's topics after it. Best effort, by design: the names are
 * unique to the test, so a topic left behind (the broker went away with the
 * test) harms no other test, and a failed clean-up must not hide the test's
 * own result.
 */
export async function deleteTopics(
  target: KafkaTarget,
  topics: string[],
): Promise<void> {
  await withAdmin(target, admin => admin.deleteTopics({ topics })).catch(
    () => undefined,
  );
}
