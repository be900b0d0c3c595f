import { randomUUID } from 'node:crypto';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { Kafka, logLevel } from 'kafkajs';
import type { EntityKafkaResponse } from '@homelab/plugin-streaming-common';
import { testInfra } from '@homelab/infra';
import { KafkaClusters, readKafkaSettings } from './clusters';
import { KafkaService } from './KafkaService';
import { LagSampler } from './LagSampler';
import { LagStore } from './LagStore';
import { pluginTestDatabases } from '../../__testUtils__/databases';

/*
 * The Kafka tab once showed "Cannot destructure property
 * 'partitions' of 'high.pop(...)'" for random topics. kafkajs keeps one
 * metadata snapshot per client, and `fetchTopicMetadata`/`listTopics` replace
 * it with a snapshot of only the topics they asked for; a concurrent
 * `fetchTopicOffsets` of another topic then finds no partitions and crashes.
 * These tests replay a minute of tab refreshes at once, with the lag sampler
 * running, on the one shared admin client.
 */

const { kafkaBrokers } = testInfra();
const logger = mockServices.logger.mock();
const id = randomUUID().slice(0, 8);
const topics = [0, 1, 2, 3, 4].map(i => `streaming-conc-${id}-${i}`);
const groups = [0, 1].map(i => `streaming-conc-group-${id}-${i}`);
const databases = pluginTestDatabases();

const kafka = new Kafka({
  clientId: `streaming-conc-${id}`,
  brokers: kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
let clusters: KafkaClusters;

function entity(name: string, annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: `${name}-${id}`, namespace: 'default', annotations },
    spec: {},
  };
}

/** The four services' tabs, each naming its own mix of topics and groups. */
const entities = [
  entity('bridge', {
    'streaming.homelab.dev/produces-topics': topics
      .slice(0, 4)
      .map(t => `local/${t}`)
      .join(','),
  }),
  entity('sink', {
    'kafka.apache.org/consumer-groups': `local/${groups[0]}`,
    'streaming.homelab.dev/consumes-topics': topics
      .slice(0, 3)
      .map(t => `local/${t}`)
      .join(','),
  }),
  entity('ws', {
    'kafka.apache.org/consumer-groups': `local/${groups[1]}`,
    'streaming.homelab.dev/consumes-topics': [topics[0], topics[4]]
      .map(t => `local/${t}`)
      .join(','),
  }),
  entity('dlq', {
    'streaming.homelab.dev/consumes-topics': `local/${topics[3]}`,
  }),
];

function topicErrors(responses: EntityKafkaResponse[]): string[] {
  return responses.flatMap(r => [
    ...r.topics
      .filter(t => t.error)
      .map(t => `${r.entityRef} topic ${t.topic}: ${t.error}`),
    ...r.groups.flatMap(g => [
      ...(g.error ? [`${r.entityRef} group ${g.group}: ${g.error}`] : []),
      ...g.topics
        .filter(t => t.error)
        .map(
          t => `${r.entityRef} group ${g.group} topic ${t.topic}: ${t.error}`,
        ),
    ]),
  ]);
}

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic, i) => ({ topic, numPartitions: 1 + (i % 3) })),
  });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: topics[0],
    messages: [{ value: 'a' }, { value: 'b' }],
  });
  await producer.disconnect();
  for (const g of groups) {
    await admin.setOffsets({
      groupId: g,
      topic: topics[0],
      partitions: [{ partition: 0, offset: '1' }],
    });
  }
  clusters = new KafkaClusters(
    readKafkaSettings(
      new ConfigReader({
        kafka: { clusters: [{ name: 'local', brokers: kafkaBrokers }] },
      }),
    ),
    logger,
  );
}, 120_000);

afterAll(async () => {
  await clusters?.close();
  await admin
    .deleteTopics({ topics: [...topics, `streaming-conc-${id}-recreated`] })
    .catch(() => undefined);
  await admin.disconnect();
}, 60_000);

describe('Kafka tab under concurrent refreshes', () => {
  it('answers a minute of parallel refreshes of every tab, with the sampler running, without a topic error', async () => {
    const store = await LagStore.create(await databases.init('POSTGRES_15'));
    const sampler = new LagSampler({
      clusters,
      store,
      configuredGroups: groups.map(g => `local/${g}`),
      retentionMs: 3_600_000,
      logger,
    });
    // No cache: every request reaches Kafka, as many browsers on a 5 s cache would.
    const service = new KafkaService(clusters, store, logger, 0);
    // Six 10 s refreshes of four tabs, opened twice each, all at once.
    const rounds = 6;
    const all = await Promise.all(
      Array.from({ length: rounds }, async () => {
        const [responses] = await Promise.all([
          Promise.all(
            [...entities, ...entities].map(e => service.forEntity(e)),
          ),
          sampler.run(),
        ]);
        return responses;
      }),
    );
    const responses = all.flat();
    expect(topicErrors(responses)).toEqual([]);
    for (const r of responses) {
      for (const t of r.topics)
        expect(t.partitions.length).toBe(1 + (topics.indexOf(t.topic) % 3));
    }
    const t0 = responses
      .find(r => r.entityRef.includes('bridge'))!
      .topics.find(t => t.topic === topics[0])!;
    expect(t0.records).toBe(2);
  }, 60_000);

  it('keeps the other topics readable while someone deletes and re-creates a topic', async () => {
    const service = new KafkaService(clusters, undefined, logger, 0);
    const churned = topics[4];
    const others = entities.filter(
      e => !JSON.stringify(e.metadata.annotations).includes(churned),
    );
    // Make the shared client target the topic before it goes away.
    expect(
      topicErrors(await Promise.all(entities.map(e => service.forEntity(e)))),
    ).toEqual([]);

    await admin.deleteTopics({ topics: [churned] });
    const whileGone = await Promise.all(
      [...others, ...entities].map(e => service.forEntity(e)),
    );
    // Only the deleted topic may carry an error, and it says what happened.
    const errors = topicErrors(whileGone);
    expect(errors.filter(e => !e.includes(churned))).toEqual([]);
    expect(
      errors.some(e => e.includes(`topic ${churned} does not exist`)),
    ).toBe(true);

    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: churned, numPartitions: 3 }],
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: churned,
      messages: [{ partition: 2, value: 'again' }],
    });
    await producer.disconnect();
    // The re-created topic is read afresh (three partitions now), and nothing else broke.
    const after = await Promise.all(entities.map(e => service.forEntity(e)));
    expect(topicErrors(after)).toEqual([]);
    const ws = after.find(r => r.entityRef.includes('ws'))!;
    const recreated = ws.topics.find(t => t.topic === churned)!;
    expect(recreated.partitions).toHaveLength(3);
    expect(recreated.records).toBe(1);
  }, 60_000);
});
