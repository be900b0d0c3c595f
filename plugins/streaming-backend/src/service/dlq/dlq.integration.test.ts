import { randomUUID } from 'node:crypto';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import { Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import {
  DLQ_HEADERS,
  DeadLettersResponse,
} from '@homelab/plugin-streaming-common';
import { testInfra } from '@homelab/infra';
import { streamingPlugin } from '../../plugin';
import { pluginTestDatabases } from '../../__testUtils__/databases';
import { DLQ_READER_GROUP_PREFIX } from './DlqReader';

/*
 * The Dead letters route against a real broker: letters as the bridge and
 * the sink write them, read back with counts, previews and pagination,
 * without committing or leaving behind any consumer group.
 */

const { kafkaBrokers } = testInfra();
const id = randomUUID().slice(0, 8);
const topic = `streaming-dlq-${id}`;
const sinkGroup = `streaming-dlq-sink-${id}`;
const kafka = new Kafka({
  clientId: `dlq-test-${id}`,
  brokers: kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
const databases = pluginTestDatabases();

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'bridge',
    namespace: 'default',
    annotations: { 'streaming.homelab.dev/dlq-topic': `local/${topic}` },
  },
  spec: {
    type: 'service',
    owner: 'group:homelab-team',
    lifecycle: 'production',
  },
};

/** A letter as the bridge writes it: the MQTT topic, no Kafka source. */
const bridgeLetter = (i: number, payload: Buffer | string) => ({
  key: 'meter1',
  value: payload,
  headers: {
    [DLQ_HEADERS.errorClass]: i % 3 === 0 ? 'not-json' : 'no-numeric-field',
    [DLQ_HEADERS.reason]:
      i % 3 === 0 ? 'payload is not JSON' : 'no numeric field in the payload',
    [DLQ_HEADERS.service]: 'mqtt-kafka-bridge',
    [DLQ_HEADERS.failedAt]: new Date(
      Date.now() - (100 - i) * 1000,
    ).toISOString(),
    [DLQ_HEADERS.attempts]: '1',
    [DLQ_HEADERS.mqttTopic]: 'homelab/energy/meter1',
  },
});

/** A letter as the sink writes it: the source position and the original key. */
const sinkLetter = {
  key: 'homelab.energy/0/41',
  value: '{"stream":"energy","device_id":"meter2"}',
  headers: {
    [DLQ_HEADERS.errorClass]: 'invalid-record',
    [DLQ_HEADERS.reason]: 'ts is 300 years in the future',
    [DLQ_HEADERS.service]: 'timescaledb-sink',
    [DLQ_HEADERS.failedAt]: new Date().toISOString(),
    [DLQ_HEADERS.attempts]: '3',
    [DLQ_HEADERS.topic]: 'homelab.energy',
    [DLQ_HEADERS.partition]: '0',
    [DLQ_HEADERS.offset]: '41',
    'dlq.source.key': 'meter2',
  },
};

async function start(
  permission:
    | AuthorizeResult.ALLOW
    | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
) {
  const knex = await databases.init('POSTGRES_15');
  const { server } = await startTestBackend({
    features: [
      streamingPlugin,
      mockServices.rootConfig.factory({
        data: {
          kafka: {
            clientId: 'backstage-test',
            clusters: [{ name: 'local', brokers: kafkaBrokers }],
          },
        },
      }),
      mockServices.database.factory({ knex }),
      catalogServiceMock.factory({ entities: [entity] }),
      mockServices.permissions.factory({ result: permission }),
    ],
  });
  return server;
}

const get = (server: Awaited<ReturnType<typeof start>>, query = '') =>
  request(server)
    .get(`/api/streaming/entities/component/default/bridge/dlq${query}`)
    .set('Authorization', mockCredentials.user.header());

/** Every consumer group's committed offsets on the topic: a read-only view leaves them as they were. */
async function offsetsOnTopic() {
  const { groups } = await admin.listGroups();
  const result: Record<string, string[]> = {};
  for (const g of groups) {
    const [t] = await admin.fetchOffsets({
      groupId: g.groupId,
      topics: [topic],
    });
    const committed = t.partitions
      .filter(p => p.offset !== '-1')
      .map(p => `${p.partition}:${p.offset}`);
    if (committed.length) result[g.groupId] = committed;
  }
  return result;
}

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 2 }],
  });
  const producer = kafka.producer();
  await producer.connect();
  // 60 bridge letters on partition 0, one of them binary with control bytes and far over the preview size.
  const binary = Buffer.concat([
    Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x00, 0xff]),
    Buffer.alloc(4096, 0x41),
  ]);
  await producer.send({
    topic,
    messages: Array.from({ length: 60 }, (_, i) => ({
      partition: 0,
      ...bridgeLetter(i, i === 59 ? binary : `payload ${i} <script>`),
    })),
  });
  await producer.send({ topic, messages: [{ partition: 1, ...sinkLetter }] });
  await producer.disconnect();
  // Someone else's group on the DLQ, e.g. an alerting consumer: its offsets must not move.
  await admin.setOffsets({
    groupId: sinkGroup,
    topic,
    partitions: [{ partition: 0, offset: '7' }],
  });
}, 120_000);

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.deleteGroups([sinkGroup]).catch(() => undefined);
  await admin.disconnect();
}, 60_000);

describe('Dead letters route', () => {
  it('counts letters by class and pages back through the topic, newest first, without committing anything', async () => {
    const before = await offsetsOnTopic();
    expect(before).toEqual({ [sinkGroup]: ['0:7'] });
    const server = await start();

    const first = await get(server, '?limit=25');
    expect(first.status).toBe(200);
    const page1 = first.body as DeadLettersResponse;
    expect(page1).toMatchObject({
      topics: [`local/${topic}`],
      cluster: 'local',
      topic,
      held: 61,
    });
    expect(page1.counts).toMatchObject({
      scanned: 61,
      capped: false,
      byClass: { 'not-json': 20, 'no-numeric-field': 40, 'invalid-record': 1 },
    });
    expect(
      page1.counts!.hourly.reduce(
        (n, h) => n + Object.values(h.counts).reduce((a, b) => a + b, 0),
        0,
      ),
    ).toBe(61);
    expect(page1.letters).toHaveLength(25);
    // Newest first: the sink's letter, then the bridge's from offset 59 down.
    expect(page1.letters[0]).toMatchObject({
      partition: 1,
      offset: '0',
      errorClass: 'invalid-record',
      reason: 'ts is 300 years in the future',
      service: 'timescaledb-sink',
      attempts: 3,
      source: { topic: 'homelab.energy', partition: 0, offset: '41' },
      device: 'meter2',
    });
    const binary = page1.letters[1];
    expect(binary).toMatchObject({
      partition: 0,
      offset: '59',
      device: 'meter1',
      source: { mqttTopic: 'homelab/energy/meter1' },
    });
    expect(binary.payload.bytes).toBe(4102);
    expect(binary.payload.truncated).toBe(true);
    expect(binary.payload.preview.startsWith('\\x1b[2J\\x00\\xff')).toBe(true);
    expect(page1.letters[2].payload).toEqual({
      preview: 'payload 58 <script>',
      bytes: 19,
      truncated: false,
    });
    expect(page1.next).toBeDefined();

    const seen = page1.letters.map(l => `${l.partition}:${l.offset}`);
    let next = page1.next;
    while (next) {
      const page = (
        await get(server, `?limit=25&before=${encodeURIComponent(next)}`)
      ).body as DeadLettersResponse;
      expect(page.counts).toBeUndefined();
      seen.push(...page.letters.map(l => `${l.partition}:${l.offset}`));
      next = page.next;
    }
    // Every letter exactly once, back to the start of retention.
    expect(seen).toHaveLength(61);
    expect(new Set(seen).size).toBe(61);

    expect(await offsetsOnTopic()).toEqual(before);
    const { groups } = await admin.listGroups();
    expect(
      groups.filter(g => g.groupId.startsWith(DLQ_READER_GROUP_PREFIX)),
    ).toEqual([]);
  }, 120_000);

  it('needs streaming.dlq.read and rejects a topic the entity does not annotate or a bad cursor', async () => {
    const denied = await get(await start(AuthorizeResult.DENY));
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toContain('streaming.dlq.read');

    const server = await start();
    const foreign = await get(server, '?topic=local/homelab.energy');
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.message).toContain(
      `its topics are "local/${topic}"`,
    );
    const cursor = await get(server, '?before=zero');
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.message).toContain('<partition>:<offset>');
    const limit = await get(server, '?limit=100000');
    expect(limit.status).toBe(400);
    // A normal read still works after the refusals.
    expect((await get(server, '?limit=1')).body.letters).toHaveLength(1);
  }, 60_000);
});
