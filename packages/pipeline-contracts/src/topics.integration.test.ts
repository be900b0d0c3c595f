/**
 * @jest-environment node
 */
import { randomUUID } from 'node:crypto';
import { Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
// The shared test brokers; a test-only import, so the published library stays isomorphic.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import { testInfra } from '@homelab/infra';
import {
  DEFAULT_TOPICS,
  MissingTopicsError,
  provisionTopics,
  requireTopics,
  TopicPlan,
} from './topics';

jest.setTimeout(120_000);

const kafka = new Kafka({
  clientId: 'pipeline-contracts-test',
  brokers: testInfra().kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
let admin: Admin;
const run = randomUUID().slice(0, 8);
const plan = (name: string, overrides: Partial<TopicPlan> = {}): TopicPlan => ({
  name: `contracts.${run}.${name}`,
  partitions: 3,
  replicationFactor: 1,
  retentionMs: DEFAULT_TOPICS.heatpump.retentionMs,
  segmentMs: DEFAULT_TOPICS.heatpump.segmentMs,
  ...overrides,
});

async function topicFacts(name: string) {
  const metadata = await admin.fetchTopicMetadata({ topics: [name] });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      {
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['retention.ms', 'segment.ms'],
      },
    ],
  });
  const entries = configs.resources[0].configEntries;
  return {
    partitions: metadata.topics[0].partitions.length,
    retentionMs: entries.find(e => e.configName === 'retention.ms')
      ?.configValue,
    segmentMs: entries.find(e => e.configName === 'segment.ms')?.configValue,
  };
}

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin.disconnect();
});

describe('provisionTopics, the one provisioning step', () => {
  it('creates missing topics with the plan, and leaves them alone the second time', async () => {
    const plans = [
      plan('a'),
      plan('b', { partitions: 1, segmentMs: undefined }),
    ];
    expect(await provisionTopics(admin, plans)).toEqual({
      created: plans.map(p => p.name),
      mismatches: [],
    });
    expect(await topicFacts(plans[0].name)).toEqual({
      partitions: 3,
      retentionMs: String(DEFAULT_TOPICS.heatpump.retentionMs),
      segmentMs: String(DEFAULT_TOPICS.heatpump.segmentMs),
    });
    expect((await topicFacts(plans[1].name)).partitions).toBe(1);
    expect(await provisionTopics(admin, plans)).toEqual({
      created: [],
      mismatches: [],
    });
  });

  it('never alters a topic someone tuned, and reports each difference', async () => {
    const tuned = plan('tuned');
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: tuned.name,
          numPartitions: 2,
          configEntries: [{ name: 'retention.ms', value: '60000' }],
        },
      ],
    });
    const result = await provisionTopics(admin, [tuned]);
    expect(result.created).toEqual([]);
    expect(result.mismatches).toEqual(
      expect.arrayContaining([
        {
          topic: tuned.name,
          setting: 'partitions',
          expected: '3',
          actual: '2',
        },
        {
          topic: tuned.name,
          setting: 'retention.ms',
          expected: String(tuned.retentionMs),
          actual: '60000',
        },
      ]),
    );
    expect(await topicFacts(tuned.name)).toMatchObject({
      partitions: 2,
      retentionMs: '60000',
    });
  });

  it('is safe when two processes provision the same topics at once', async () => {
    const plans = [plan('race')];
    const other = kafka.admin();
    await other.connect();
    try {
      const results = await Promise.all([
        provisionTopics(admin, plans),
        provisionTopics(other, plans),
      ]);
      expect(results.flatMap(r => r.mismatches)).toEqual([]);
      expect((await topicFacts(plans[0].name)).partitions).toBe(3);
    } finally {
      await other.disconnect();
    }
  });
});

describe('requireTopics, the consumers side of the rule', () => {
  it('names every missing topic and creates none', async () => {
    const present = plan('present');
    await provisionTopics(admin, [present]);
    const missing = [
      `contracts.${run}.missing-1`,
      `contracts.${run}.missing-2`,
    ];
    let thrown: unknown;
    try {
      requireTopics(
        await admin.listTopics(),
        [present.name, ...missing],
        'kafka.topics names them',
      );
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(MissingTopicsError);
    expect((thrown as MissingTopicsError).topics).toEqual(missing);
    expect((thrown as Error).message).toContain(missing.join(', '));
    expect((thrown as Error).message).toContain('kafka.topics names them');
    const after = new Set(await admin.listTopics());
    expect(missing.filter(t => after.has(t))).toEqual([]);
    expect(() => requireTopics(after, [present.name], 'unused')).not.toThrow();
  });
});
