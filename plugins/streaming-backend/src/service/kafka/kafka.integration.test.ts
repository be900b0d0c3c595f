import { eventually } from '@homelab/test-kit';
import { randomUUID } from 'node:crypto';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import {
  CONSUMER_GROUP_COMMAND,
  kafkaTool,
  parseConsumerGroupDescribe,
  testInfra,
} from '@homelab/infra';
import { KafkaClusters, readKafkaSettings } from './clusters';
import { KafkaService } from './KafkaService';
import { LagStore } from './LagStore';
import { LagSampler } from './LagSampler';
import { pluginTestDatabases } from '../../__testUtils__/databases';

const { kafkaBrokers } = testInfra();
const logger = mockServices.logger.mock();
const id = randomUUID().slice(0, 8);
const topic = `streaming-lag-${id}`;
const group = `streaming-lag-group-${id}`;
const databases = pluginTestDatabases();

const kafka = new Kafka({
  clientId: `streaming-test-${id}`,
  brokers: kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
let producer: Producer;
let consumer: Consumer;
let clusters: KafkaClusters;

function entity(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: `svc-${id}`, namespace: 'default', annotations },
    spec: {},
  };
}

async function produce(partition: number, count: number) {
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({
      partition,
      key: `k${i}`,
      value: `v${i}`,
    })),
  });
}

async function referee(groupId: string) {
  const out = await kafkaTool(CONSUMER_GROUP_COMMAND, [
    '--bootstrap-server',
    kafkaBrokers.join(','),
    '--describe',
    '--group',
    groupId,
  ]);
  return parseConsumerGroupDescribe(out).filter(r => r.topic === topic);
}

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 3,
        configEntries: [
          { name: 'retention.ms', value: '3600000' },
          { name: 'segment.ms', value: '300000' },
        ],
      },
    ],
  });
  producer = kafka.producer();
  await producer.connect();
  await produce(0, 10);
  await produce(1, 7);
  await produce(2, 5);

  // An active member that owns all three partitions and commits only two:
  // Kafka's tool then lists partition 2 with "-" as its offset and lag.
  consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
  await eventually(
    'the consumer group to be stable',
    async () => {
      const [g] = (await admin.describeGroups([group])).groups;
      return g.state === 'Stable' && g.members.length === 1 ? g : undefined;
    },
    { intervalMs: 250 },
  );
  consumer.pause([{ topic }]);
  await consumer.commitOffsets([
    { topic, partition: 0, offset: '4' },
    { topic, partition: 1, offset: '7' },
  ]);

  clusters = new KafkaClusters(
    readKafkaSettings(
      new ConfigReader({
        kafka: {
          clientId: 'backstage-test',
          clusters: [{ name: 'local', brokers: kafkaBrokers }],
        },
      }),
    ),
    logger,
  );
}, 120_000);

afterAll(async () => {
  await consumer?.disconnect();
  await producer?.disconnect();
  await clusters?.close();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}, 60_000);

describe('Kafka lag against a real broker', () => {
  it("matches Kafka's own consumer-group command and flags the never-committed partition", async () => {
    const service = new KafkaService(clusters, undefined, logger, 0);
    const [ours, theirs] = await Promise.all([
      service.forEntity(
        entity({ 'kafka.apache.org/consumer-groups': `local/${group}` }),
      ),
      referee(group),
    ]);
    const g = ours.groups[0];
    expect(g.error).toBeUndefined();
    expect(g.state).toBe('Stable');
    expect(g.members).toHaveLength(1);
    expect(g.members[0].assignments).toEqual([
      { topic, partitions: [0, 1, 2] },
    ]);

    const partitions = g.topics.find(t => t.topic === topic)!.partitions;
    expect(theirs).toHaveLength(3);
    for (const row of theirs) {
      const p = partitions.find(x => x.partition === row.partition)!;
      expect({
        partition: p.partition,
        committed: p.committedOffset,
        end: p.highWatermark,
        lag: p.lag,
      }).toEqual({
        partition: row.partition,
        committed: row.currentOffset,
        end: row.logEndOffset,
        lag: row.lag,
      });
    }
    expect(
      partitions.map(p => [
        p.partition,
        p.committedOffset,
        p.highWatermark,
        p.lag,
        p.state,
      ]),
    ).toEqual([
      [0, 4, 10, 6, 'ok'],
      [1, 7, 7, 0, 'ok'],
      [2, null, 5, null, 'no-committed-offset'],
    ]);
    expect(g.totalLag).toBe(6);
    expect(g.worstPartition).toEqual({
      topic,
      partition: 0,
      lag: 6,
      state: 'ok',
    });
    expect(g.stateCounts).toEqual({ ok: 2, 'no-committed-offset': 1 });

    const details = ours.topics.find(t => t.topic === topic)!;
    expect(details.roles).toEqual(['group']);
    expect(details.partitions).toHaveLength(3);
    expect(details.replicationFactor).toBe(1);
    expect(details.records).toBe(22);
    expect(details.config['retention.ms']).toBe('3600000');
    expect(details.config['segment.ms']).toBe('300000');
    expect(details.config['cleanup.policy']).toBe('delete');
  }, 120_000);

  it('flags a committed offset that retention deleted, with the records lost', async () => {
    const lost = `${group}-lost`;
    await admin.setOffsets({
      groupId: lost,
      topic,
      partitions: [{ partition: 0, offset: '2' }],
    });
    await admin.deleteTopicRecords({
      topic,
      partitions: [{ partition: 0, offset: '5' }],
    });
    const service = new KafkaService(clusters, undefined, logger, 0);
    const [ours, theirs] = await Promise.all([
      service.forEntity(
        entity({ 'kafka.apache.org/consumer-groups': `local/${lost}` }),
      ),
      referee(lost),
    ]);
    const p0 = ours.groups[0].topics[0].partitions.find(
      p => p.partition === 0,
    )!;
    expect(p0).toMatchObject({
      committedOffset: 2,
      logStartOffset: 5,
      highWatermark: 10,
      lag: 8,
      state: 'below-log-start',
      lostRecords: 3,
    });
    expect(theirs.find(r => r.partition === 0)).toMatchObject({
      currentOffset: 2,
      logEndOffset: 10,
      lag: 8,
    });
    expect(ours.groups[0].worstPartition).toMatchObject({
      partition: 0,
      state: 'below-log-start',
    });
  }, 120_000);

  it("reports a partial result when one group's topic is gone", async () => {
    const service = new KafkaService(clusters, undefined, logger, 0);
    const result = await service.forEntity(
      entity({
        'kafka.apache.org/consumer-groups': `local/${group}`,
        'streaming.homelab.dev/consumes-topics': `local/${topic},local/missing-${id}`,
      }),
    );
    const g = result.groups[0];
    // Partition 0 is below the log start after the previous test; its lag still counts.
    expect(g.topics.find(t => t.topic === topic)!.totalLag).toBe(6);
    expect(g.topics.find(t => t.topic === `missing-${id}`)!.error).toBe(
      `topic missing-${id} does not exist on the cluster`,
    );
    expect(
      result.topics.find(t => t.topic === `missing-${id}`)!.error,
    ).toBeDefined();
    expect(result.topics.find(t => t.topic === topic)!.roles).toEqual([
      'consumes',
      'group',
    ]);
  }, 120_000);

  it('samples lag into the plugin database and estimates trend and lag in seconds', async () => {
    const store = await LagStore.create(await databases.init('POSTGRES_15'));
    const sampler = new LagSampler({
      clusters,
      store,
      configuredGroups: [`local/${group}`],
      retentionMs: 3_600_000,
      logger,
    });
    const t0 = new Date(Date.now() - 60_000);
    expect(await sampler.run(t0)).toMatchObject({
      groups: 1,
      rows: 3,
      failed: 0,
    });
    await produce(0, 6);
    const t1 = new Date(Date.now() - 30_000);
    await sampler.run(t1);
    // Retention: a sample older than the window is pruned by the next run.
    const old = await sampler.run(new Date(Date.now() - 2 * 3_600_000));
    expect(old.rows).toBe(3);
    expect((await sampler.run(new Date(Date.now() - 20_000))).pruned).toBe(3);

    const service = new KafkaService(clusters, store, logger, 0);
    const g = (
      await service.forEntity(
        entity({ 'kafka.apache.org/consumer-groups': `local/${group}` }),
      )
    ).groups[0];
    expect(g.totalLag).toBe(12);
    expect(g.trend!.samples.map(s => s.lag)).toEqual([6, 12, 12, 12]);
    expect(g.trend!.direction).toBe('growing');
    // Offset 4 of partition 0 existed before the first sample: a lower bound of about a minute.
    expect(g.trend!.lagSeconds).toBeGreaterThanOrEqual(59);
    expect(g.trend!.lagSecondsIsLowerBound).toBe(true);
    expect(g.trend!.timeToCatchUpSeconds).toBeNull();
    const p1 = g.topics[0].partitions.find(p => p.partition === 1)!;
    expect(p1.lagSeconds).toBe(0);
  }, 120_000);
});
