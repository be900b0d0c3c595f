import type { Admin } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';

export interface TopicPlan {
  name: string;
  partitions: number;
  replicationFactor: number;
  retentionMs: number;
  segmentMs?: number;
}

export interface TopicMismatch {
  topic: string;
  setting: 'partitions' | 'retention.ms' | 'segment.ms';
  expected: string;
  actual: string;
}

export interface ProvisionResult {
  created: string[];
  mismatches: TopicMismatch[];
}

function wantedConfig(plan: TopicPlan): Record<string, string> {
  const config: Record<string, string> = {
    'retention.ms': String(plan.retentionMs),
  };
  if (plan.segmentMs !== undefined)
    config['segment.ms'] = String(plan.segmentMs);
  return config;
}

/**
 * Creates missing topics with the partitions, retention.ms and segment.ms of
 * DESIGN.md, like the seed's `rpk topic create`. An existing topic is never
 * altered: someone may have tuned it on purpose, so a difference is returned
 * for the caller to report.
 */
export async function provisionTopics(
  admin: Admin,
  plans: TopicPlan[],
): Promise<ProvisionResult> {
  const existing = new Set(await admin.listTopics());
  const missing = plans.filter(p => !existing.has(p.name));
  const created: string[] = [];
  if (missing.length > 0) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map(p => ({
          topic: p.name,
          numPartitions: p.partitions,
          replicationFactor: p.replicationFactor,
          configEntries: Object.entries(wantedConfig(p)).map(
            ([name, value]) => ({ name, value }),
          ),
        })),
      });
      created.push(...missing.map(p => p.name));
    } catch (e) {
      // Another replica created it between list and create: that is the idempotent case.
      if (
        !/already exists/i.test(String((e as Error).message)) &&
        !hasAlreadyExists(e)
      )
        throw e;
    }
  }
  const present = plans.filter(p => !created.includes(p.name));
  const mismatches: TopicMismatch[] = [];
  if (present.length === 0) return { created, mismatches };

  const metadata = await admin.fetchTopicMetadata({
    topics: present.map(p => p.name),
  });
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map(p => ({
      type: ConfigResourceTypes.TOPIC,
      name: p.name,
      configNames: ['retention.ms', 'segment.ms'],
    })),
  });
  for (const plan of present) {
    const partitions =
      metadata.topics.find(t => t.name === plan.name)?.partitions.length ?? 0;
    if (partitions !== plan.partitions) {
      mismatches.push({
        topic: plan.name,
        setting: 'partitions',
        expected: String(plan.partitions),
        actual: String(partitions),
      });
    }
    const entries =
      described.resources.find(r => r.resourceName === plan.name)
        ?.configEntries ?? [];
    for (const [name, expected] of Object.entries(wantedConfig(plan))) {
      const actual =
        entries.find(e => e.configName === name)?.configValue ?? '(unset)';
      if (actual !== expected) {
        mismatches.push({
          topic: plan.name,
          setting: name as TopicMismatch['setting'],
          expected,
          actual,
        });
      }
    }
  }
  return { created, mismatches };
}

function hasAlreadyExists(e: unknown): boolean {
  const errors = (e as { errors?: { type?: string }[] }).errors;
  return (
    Array.isArray(errors) &&
    errors.every(x => x?.type === 'TOPIC_ALREADY_EXISTS')
  );
}
