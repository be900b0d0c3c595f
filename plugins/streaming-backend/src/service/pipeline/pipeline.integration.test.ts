import http from 'node:http';
import { eventually } from '@homelab/test-kit';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import type {
  EntityPipelineResponse,
  PipelineStage,
} from '@homelab/plugin-streaming-common';
import { testInfra } from '@homelab/infra';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import request from 'supertest';
import { streamingPlugin } from '../../plugin';
import { pluginTestDatabases } from '../../__testUtils__/databases';

const { kafkaBrokers, timescaleUrl } = testInfra();
const id = randomUUID().slice(0, 8);
const topic = `pipeline-${id}`;
const dlqTopic = `pipeline-dlq-${id}`;
/** A stream nothing was sent on: the group has no offset there, and nothing waits. */
const emptyTopic = `pipeline-empty-${id}`;
const sinkGroup = `pipeline-sink-${id}`;
const table = `pipeline_${id}`;
const databases = pluginTestDatabases();
const kafka = new Kafka({
  clientId: `pipeline-test-${id}`,
  brokers: kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
const producer = kafka.producer();

/** A service's ops port as the real services serve it: a prom-client registry and a /health report. */
interface FakeService {
  url: string;
  registry: Registry;
  health: { status: number; body: unknown };
  metricsBody?: string;
  close(): Promise<void>;
}

async function fakeService(): Promise<FakeService> {
  const service: Omit<FakeService, 'url' | 'close'> = {
    registry: new Registry(),
    health: { status: 200, body: { status: 'ok', live: true, ready: true } },
  };
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(service.metricsBody ?? (await service.registry.metrics()));
    } else {
      res.writeHead(service.health.status, {
        'content-type': 'application/json',
      });
      res.end(JSON.stringify(service.health.body));
    }
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(service, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>(r => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

/** A port nothing listens on: taken, then freed. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>(r => server.close(() => r()));
  return port;
}

const system = (
  annotations: Record<string, string>,
  name = 'homelab',
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'System',
  metadata: { name, namespace: 'default', annotations },
  spec: { owner: 'group:homelab-team' },
});

let bridge: FakeService;
let sink: FakeService;
let devices: FakeService;
let deadPort: number;
let bridgeMetrics: {
  received: Counter;
  produced: Counter;
  delivery: Histogram;
  pending: Gauge;
  /** Declared, never counted: the stage must read it as 0, not as missing. */
  dead?: Counter;
};
let sinkMetrics: { records: Counter; rows: Counter; dead: Counter };

const backends: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  // Stops the background scrapes before Jest tears the module registry down.
  await Promise.all(backends.splice(0).map(b => b.stop()));
});

async function start(
  permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY,
) {
  const knex = await databases.init('POSTGRES_15');
  const service = (s: FakeService | string) => {
    const base = typeof s === 'string' ? s : s.url;
    return { metricsUrl: `${base}/metrics`, healthUrl: `${base}/health` };
  };
  const backend = await startTestBackend({
    features: [
      streamingPlugin,
      mockServices.rootConfig.factory({
        data: {
          kafka: { clusters: [{ name: 'local', brokers: kafkaBrokers }] },
          streaming: {
            timescale: {
              databases: [
                {
                  name: 'timescale',
                  connection: timescaleUrl,
                  maxConnections: 1,
                },
              ],
            },
            pipeline: {
              scrapeIntervalSeconds: 1,
              services: {
                'device-simulator': service(devices),
                'mqtt-kafka-bridge': service(bridge),
                'timescaledb-sink': service(sink),
                'energy-ws': service(`http://127.0.0.1:${deadPort}`),
              },
              pipelines: {
                [`p-${id}`]: {
                  kafkaCluster: 'local',
                  topics: [topic, emptyTopic],
                  dlqTopic,
                  database: 'timescale',
                  hypertables: [table],
                  devices: 'device-simulator',
                  bridge: 'mqtt-kafka-bridge',
                  sink: {
                    service: 'timescaledb-sink',
                    consumerGroup: sinkGroup,
                  },
                  live: {
                    service: 'energy-ws',
                    consumerGroup: `pipeline-live-${id}`,
                  },
                },
              },
            },
          },
        },
      }),
      mockServices.database.factory({ knex }),
      catalogServiceMock.factory({
        entities: [
          system({ 'streaming.homelab.dev/pipeline': `p-${id}` }),
          system({ 'streaming.homelab.dev/pipeline': 'nope' }, 'wrong'),
        ],
      }),
      ...(permission
        ? [mockServices.permissions.factory({ result: permission })]
        : []),
    ],
  });
  backends.push(backend);
  return backend.server;
}

const user = mockCredentials.user.header();
const path = '/api/streaming/entities/system/default/homelab/pipeline';

/** The pipeline answer once `done` holds for it; a timeout shows the last answer. */
function until(
  server: http.Server,
  done: (stages: Record<string, PipelineStage>) => boolean,
  what: string,
): Promise<Record<string, PipelineStage>> {
  return eventually(
    what,
    async () => {
      const res = await request(server).get(path).set('Authorization', user);
      expect(res.status).toBe(200);
      const body = res.body as EntityPipelineResponse;
      const stages = Object.fromEntries(body.stages.map(s => [s.id, s]));
      if (done(stages)) return stages;
      // Not there yet: thrown rather than returned, so a timeout names it.
      throw new Error(`last answer ${JSON.stringify(body)}`);
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
}

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic, numPartitions: 1 },
      { topic: dlqTopic, numPartitions: 1 },
      { topic: emptyTopic, numPartitions: 1 },
    ],
  });
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: 5 }, (_, i) => ({ value: `r${i}` })),
  });
  // The sink's group has read 2 of the 5 records: a lag of 3.
  await admin.setOffsets({
    groupId: sinkGroup,
    topic,
    partitions: [{ partition: 0, offset: '2' }],
  });

  const db = new Client({ connectionString: timescaleUrl });
  await db.connect();
  await db.query(
    `CREATE TABLE ${table} (ts timestamptz NOT NULL, device_id text)`,
  );
  await db.query(
    `INSERT INTO ${table} VALUES (now() - interval '30 seconds', 'meter1')`,
  );
  await db.end();

  [bridge, sink, devices] = await Promise.all([
    fakeService(),
    fakeService(),
    fakeService(),
  ]);
  deadPort = await closedPort();
  const on = (s: FakeService) => [s.registry];
  bridgeMetrics = {
    received: new Counter({
      name: 'bridge_mqtt_messages_received_total',
      help: 'h',
      labelNames: ['stream'],
      registers: on(bridge),
    }),
    produced: new Counter({
      name: 'bridge_kafka_records_produced_total',
      help: 'h',
      labelNames: ['topic'],
      registers: on(bridge),
    }),
    delivery: new Histogram({
      name: 'bridge_delivery_duration_seconds',
      help: 'h',
      buckets: [0.001, 0.005, 0.01, 1, 10],
      registers: on(bridge),
    }),
    pending: new Gauge({
      name: 'bridge_pending_acks',
      help: 'h',
      registers: on(bridge),
    }),
  };
  bridgeMetrics.dead = new Counter({
    name: 'bridge_dead_letters_total',
    help: 'h',
    labelNames: ['error_class'],
    registers: on(bridge),
  });
  sinkMetrics = {
    records: new Counter({
      name: 'timescaledb_sink_records_total',
      help: 'h',
      labelNames: ['topic', 'outcome'],
      registers: on(sink),
    }),
    rows: new Counter({
      name: 'timescaledb_sink_rows_written_total',
      help: 'h',
      labelNames: ['table'],
      registers: on(sink),
    }),
    dead: new Counter({
      name: 'timescaledb_sink_dead_letters_total',
      help: 'h',
      labelNames: ['topic', 'error_class'],
      registers: on(sink),
    }),
  };
  // Slow deliveries from before the backend looked must not weigh on "the last minutes".
  for (let i = 0; i < 1000; i++) bridgeMetrics.delivery.observe(8);
  bridgeMetrics.received.inc({ stream: 'energy' }, 5000);
  sink.health = {
    status: 503,
    body: {
      status: 'unavailable',
      live: true,
      ready: false,
      details: {
        consuming: true,
        partitionsWaitingForDatabase: [`${topic}/0`],
      },
    },
  };
  // Not Prometheus text: the devices stage must say so, not show 0.
  devices.metricsBody = '<html>proxy error</html>';
}, 120_000);

afterAll(async () => {
  await producer.disconnect();
  await admin
    .deleteTopics({ topics: [topic, dlqTopic, emptyTopic] })
    .catch(() => undefined);
  await admin.disconnect();
  await Promise.all([bridge, sink, devices].map(s => s?.close()));
});

describe('GET /entities/:kind/:namespace/:name/pipeline', () => {
  it('measures every stage from two scrapes, and shows what it cannot reach as unknown with the reason', async () => {
    const server = await start();
    // The first scrapes: every configured service has been read once.
    await until(
      server,
      s => s['mqtt-kafka-bridge'].health.status === 'ready',
      'the first scrape',
    );

    bridgeMetrics.received.inc({ stream: 'energy' }, 120);
    bridgeMetrics.produced.inc({ topic }, 118);
    for (let i = 0; i < 100; i++) bridgeMetrics.delivery.observe(0.004);
    bridgeMetrics.pending.set(7);
    sinkMetrics.records.inc({ topic, outcome: 'stored' }, 50);
    sinkMetrics.rows.inc({ table }, 50);
    sinkMetrics.dead.inc({ topic, error_class: 'schema' }, 3);
    await producer.send({
      topic: dlqTopic,
      messages: [{ value: 'a' }, { value: 'b' }],
    });

    const stages = await until(
      server,
      s =>
        (s['mqtt-kafka-bridge'].rateIn?.value ?? 0) > 0 &&
        s['timescaledb-sink'].deadLetters?.value === 3 &&
        s.kafka.deadLetters?.value === 2 &&
        s['mqtt-kafka-bridge'].latency?.p99 !== null,
      'the second scrape to show the new counts',
    );

    // Rates: the counter's growth over the window between the two scrapes.
    const bridgeStage = stages['mqtt-kafka-bridge'];
    const rateIn = bridgeStage.rateIn!;
    expect(rateIn.value! * rateIn.windowSeconds!).toBeCloseTo(120, 6);
    const rateOut = bridgeStage.rateOut!;
    expect(rateOut.value! * rateOut.windowSeconds!).toBeCloseTo(118, 6);
    expect(bridgeStage.backlog).toMatchObject({ value: 7 });
    // p50/p99 from the buckets' growth: the 1000 old 8 s deliveries are outside the window.
    expect(bridgeStage.latency!.p50!).toBeLessThanOrEqual(0.005);
    expect(bridgeStage.latency!.p99!).toBeLessThanOrEqual(0.005);
    expect(bridgeStage.freshnessSeconds!.value).not.toBeNull();

    // Kafka: the group's real lag and the DLQ topic's new records.
    expect(stages['timescaledb-sink'].backlog).toMatchObject({ value: 3 });
    // The live group never committed on a partition holding records: unknown, not 0.
    expect(stages['energy-ws'].backlog).toMatchObject({
      value: null,
      reason: expect.stringContaining('no committed offset yet on 1 partition'),
    });
    expect(stages.kafka.health.status).toBe('ready');

    // Health with the reason the sink gives.
    expect(stages['timescaledb-sink'].health).toEqual({
      status: 'not-ready',
      reason: expect.stringContaining(
        `partitionsWaitingForDatabase: ${topic}/0`,
      ),
    });

    // TimescaleDB: the newest ts is 30 s old.
    expect(stages.timescaledb.freshnessSeconds!.value!).toBeGreaterThanOrEqual(
      29,
    );
    expect(stages.timescaledb.health.status).toBe('ready');

    // Unreachable energy-ws: unknown with the reason, never zero, and no address leaks.
    const ws = stages['energy-ws'];
    expect(ws.health).toEqual({
      status: 'unknown',
      reason: expect.stringContaining('connection refused'),
    });
    expect(ws.rateIn).toEqual({
      value: null,
      reason: expect.stringContaining('connection refused'),
    });
    expect(ws.rateOut?.value).toBeNull();
    expect(stages.browsers.rateIn?.value).toBeNull();
    expect(JSON.stringify(stages)).not.toContain(String(deadPort));

    // A metrics page that is not Prometheus text: unknown with the reason.
    expect(stages.devices.rateOut).toEqual({
      value: null,
      reason: expect.stringContaining('not Prometheus text'),
    });

    // Once it serves real metrics again, the devices stage flows like the rest.
    devices.metricsBody = undefined;
    const published = new Counter({
      name: 'simulator_messages_published_total',
      help: 'h',
      registers: [devices.registry],
    });
    published.inc(1);
    await until(
      server,
      s => s.devices.rateOut?.value !== null,
      'the devices stage to recover',
    );
    published.inc(10);
    await until(
      server,
      s => (s.devices.rateOut?.value ?? 0) > 0,
      'a rate from the recovered devices stage',
    );
  }, 120_000);

  it('needs streaming.pipeline.read and credentials', async () => {
    const denied = await start(AuthorizeResult.DENY);
    const res = await request(denied).get(path).set('Authorization', user);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('streaming.pipeline.read');
    const anonymous = await request(denied)
      .get(path)
      .set('Authorization', mockCredentials.none.header());
    expect(anonymous.status).toBe(401);
  }, 60_000);

  it('names the configured pipelines when the annotation names another', async () => {
    const server = await start();
    const res = await request(server)
      .get('/api/streaming/entities/system/default/wrong/pipeline')
      .set('Authorization', user);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      `annotation streaming.homelab.dev/pipeline names pipeline "nope"; configured pipelines are "p-${id}"`,
    );
  }, 60_000);
});
