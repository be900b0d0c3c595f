import { Admin, AssignerProtocol } from 'kafkajs';
import type { GroupMember, TopicLag } from '@homelab/plugin-streaming-common';
import { partitionLag, topicTotal } from './lag';
import { isStaleTopicError } from './clusters';

export interface GroupOffsets {
  state: string;
  protocolType?: string;
  members: GroupMember[];
  topics: TopicLag[];
}

function decodeAssignment(
  buffer: Buffer | undefined,
): GroupMember['assignments'] {
  if (!buffer || buffer.length === 0) return [];
  try {
    const decoded = AssignerProtocol.MemberAssignment.decode(buffer);
    return Object.entries(decoded?.assignment ?? {}).map(
      ([topic, partitions]) => ({
        topic,
        partitions: [...(partitions as number[])].sort((a, b) => a - b),
      }),
    );
  } catch {
    // Not the consumer protocol (e.g. Kafka Connect): members are still listed, without assignments.
    return [];
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads one group as Kafka's consumer-group command does: committed offsets
 * against each partition's log start and high watermark. Topics come from the
 * group's commits, its members' assignments and `extraTopics` (the topics the
 * entity says it consumes), so a partition that was never committed still
 * shows up, flagged, instead of being left out. Each topic is read on its own
 * so one missing topic does not hide the others.
 */
export async function readGroupOffsets(
  admin: Admin,
  group: string,
  extraTopics: string[] = [],
): Promise<GroupOffsets> {
  // One call at a time: concurrent calls on one kafkajs client race on its metadata (see KafkaClusters).
  const { groups } = await admin.describeGroups([group]);
  const committedTopics = await admin.fetchOffsets({ groupId: group });
  const existing = await admin.listTopics();
  const exists = new Set(existing);
  const description = groups[0];
  const members: GroupMember[] = (description?.members ?? []).map(m => ({
    memberId: m.memberId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    assignments:
      description.protocolType === 'consumer'
        ? decodeAssignment(m.memberAssignment)
        : [],
  }));
  const owner = new Map<string, GroupMember>();
  for (const m of members) {
    for (const a of m.assignments)
      for (const p of a.partitions) owner.set(`${a.topic}:${p}`, m);
  }
  const topicNames = [
    ...new Set([
      ...committedTopics.map(t => t.topic),
      ...members.flatMap(m => m.assignments.map(a => a.topic)),
      ...extraTopics,
    ]),
  ].sort();

  const topics: TopicLag[] = [];
  for (const topic of topicNames)
    topics.push(
      await readTopicLag(admin, group, topic, exists.has(topic), owner),
    );
  return {
    state: description?.state ?? 'Unknown',
    protocolType: description?.protocolType || undefined,
    members,
    topics,
  };
}

/** One topic of a group: committed offsets against the partitions' watermarks. */
async function readTopicLag(
  admin: Admin,
  group: string,
  topic: string,
  exists: boolean,
  owner: Map<string, GroupMember>,
): Promise<TopicLag> {
  // Asking kafkajs for the offsets of a topic that does not exist makes the
  // shared client refresh metadata for it forever after; check first.
  if (!exists)
    return {
      topic,
      partitions: [],
      totalLag: 0,
      error: `topic ${topic} does not exist on the cluster`,
    };
  try {
    const [committed] = await admin.fetchOffsets({
      groupId: group,
      topics: [topic],
    });
    const watermarks = await admin.fetchTopicOffsets(topic);
    const byPartition = new Map(
      committed.partitions.map(p => [p.partition, Number(p.offset)]),
    );
    const partitions = watermarks
      .map(w => {
        const lag = partitionLag(
          w.partition,
          byPartition.get(w.partition) ?? null,
          Number(w.low),
          Number(w.high),
        );
        const m = owner.get(`${topic}:${w.partition}`);
        return m ? { ...lag, memberId: m.memberId, clientId: m.clientId } : lag;
      })
      .sort((a, b) => a.partition - b.partition);
    return { topic, partitions, totalLag: topicTotal(partitions) };
  } catch (error) {
    // The client's metadata is stale, not this topic: KafkaClusters retries on a fresh client.
    if (isStaleTopicError(error)) throw error;
    return {
      topic,
      partitions: [],
      totalLag: 0,
      error: `cannot read topic ${topic}: ${errorText(error)}`,
    };
  }
}

export { errorText };
