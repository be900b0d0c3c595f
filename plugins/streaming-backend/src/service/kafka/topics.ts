import { Admin, ConfigResourceTypes } from 'kafkajs';
import type { TopicDetails } from '@homelab/plugin-streaming-common';

export const TOPIC_CONFIG_NAMES = [
  'retention.ms',
  'segment.ms',
  'cleanup.policy',
  'retention.bytes',
  'min.insync.replicas',
];

/**
 * Partitions, replicas, offsets and the retention-related config of one
 * topic; throws when the topic cannot be read.
 */
export async function readTopicDetails(
  admin: Admin,
  cluster: string,
  topic: string,
  roles: TopicDetails['roles'],
): Promise<TopicDetails> {
  // See readGroupOffsets: never let kafkajs target a topic that does not exist.
  if (!(await admin.listTopics()).includes(topic))
    throw new Error(`topic ${topic} does not exist on the cluster`);
  // One call at a time: concurrent calls on one kafkajs client race on its metadata (see KafkaClusters).
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const watermarks = await admin.fetchTopicOffsets(topic);
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      {
        type: ConfigResourceTypes.TOPIC,
        name: topic,
        configNames: TOPIC_CONFIG_NAMES,
      },
    ],
  });
  const offsets = new Map(watermarks.map(w => [w.partition, w]));
  const partitions = metadata.topics[0].partitions
    .map(p => {
      const w = offsets.get(p.partitionId);
      return {
        partition: p.partitionId,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
        logStartOffset: Number(w?.low ?? 0),
        highWatermark: Number(w?.high ?? 0),
      };
    })
    .sort((a, b) => a.partition - b.partition);
  const config: TopicDetails['config'] = {};
  for (const entry of configs.resources[0]?.configEntries ?? [])
    config[entry.configName] = entry.configValue;
  return {
    cluster,
    topic,
    roles,
    partitions,
    replicationFactor: Math.max(0, ...partitions.map(p => p.replicas.length)),
    records: partitions.reduce(
      (sum, p) => sum + (p.highWatermark - p.logStartOffset),
      0,
    ),
    config,
  };
}
