import type { StreamName } from './streams';

export interface TopicSpec {
  name: string;
  retentionMs: number;
  /** Undefined means the broker's default segment roll. */
  segmentMs?: number;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * Default Kafka topics: the heat pump's readings matter for an hour and the
 * meters' and sensors' for a day, with segments small enough (5 and 15
 * minutes) for that retention to take effect; dead letters stay a week for
 * someone to look at. They are defaults only: every service lets config
 * rename them.
 */
export const DEFAULT_TOPICS: Record<StreamName | 'dlq', TopicSpec> = {
  energy: {
    name: 'homelab.energy',
    retentionMs: 24 * HOUR,
    segmentMs: 15 * MINUTE,
  },
  heatpump: {
    name: 'homelab.heatpump',
    retentionMs: HOUR,
    segmentMs: 5 * MINUTE,
  },
  temperature: {
    name: 'homelab.temperature',
    retentionMs: 24 * HOUR,
    segmentMs: 15 * MINUTE,
  },
  dlq: { name: 'homelab.dlq', retentionMs: 7 * 24 * HOUR },
};

/** A topic as it should exist on the broker: what provisioning creates. */
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

/**
 * The part of a kafkajs `Admin` that provisioning uses. Spelled out so this
 * package does not make every plugin depend on kafkajs; a kafkajs `Admin`
 * fits it as it is.
 */
export interface TopicAdmin {
  listTopics(): Promise<string[]>;
  createTopics(options: {
    waitForLeaders?: boolean;
    topics: Array<{
      topic: string;
      numPartitions?: number;
      replicationFactor?: number;
      configEntries?: Array<{ name: string; value: string }>;
    }>;
  }): Promise<boolean>;
  fetchTopicMetadata(options: {
    topics: string[];
  }): Promise<{ topics: Array<{ name: string; partitions: unknown[] }> }>;
  describeConfigs(options: {
    includeSynonyms: boolean;
    resources: Array<{ type: number; name: string; configNames?: string[] }>;
  }): Promise<{
    resources: Array<{
      resourceName: string;
      configEntries: Array<{ configName: string; configValue: string }>;
    }>;
  }>;
}

/** Kafka's resource type number for a topic (kafkajs' `ConfigResourceTypes.TOPIC`). */
const TOPIC_RESOURCE = 2;

function wantedConfig(plan: TopicPlan): Record<string, string> {
  const config: Record<string, string> = {
    'retention.ms': String(plan.retentionMs),
  };
  if (plan.segmentMs !== undefined)
    config['segment.ms'] = String(plan.segmentMs);
  return config;
}

/**
 * The one provisioning step (see README.md, "Who creates topics"). It creates
 * missing topics with the plan's partitions, retention.ms and segment.ms, as
 * the homelab's original `rpk topic create` commands do. An existing topic
 * is never altered: someone may have tuned it on purpose, so a difference is
 * returned for the caller to report.
 */
export async function provisionTopics(
  admin: TopicAdmin,
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
      type: TOPIC_RESOURCE,
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

/**
 * Thrown by a consumer whose topics are missing: consumers never create a
 * topic (README.md, "Who creates topics"), so they stop and name what to
 * provision instead of running on a topic with the wrong retention.
 */
export class MissingTopicsError extends Error {
  constructor(readonly topics: string[], hint: string) {
    super(
      `Kafka topics do not exist: ${topics.join(
        ', ',
      )}; provision them first (the bridge does at start, or \`rpk topic create\`); ${hint}`,
    );
    this.name = 'MissingTopicsError';
  }
}

/**
 * The consumers' side of the rule: checks that every topic exists and throws
 * MissingTopicsError naming the missing ones. `existing` is the broker's
 * topic list, so a caller that already listed them does not ask twice.
 */
export function requireTopics(
  existing: Iterable<string>,
  wanted: string[],
  hint: string,
): void {
  const present = new Set(existing);
  const missing = [...new Set(wanted)].filter(t => !present.has(t));
  if (missing.length > 0) throw new MissingTopicsError(missing, hint);
}
