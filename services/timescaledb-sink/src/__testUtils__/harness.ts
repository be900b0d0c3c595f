/**
 * The sink's own test helpers: a sink with its own topics and schema, records
 * produced as the bridge would (so the sink's tests stand alone), and queries
 * of what it stored. Waiting, ids, records and topics come from the test kit.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { canonicalRecord, eventually, uid } from '@homelab/test-kit';
import { createTopics } from '@homelab/test-kit/kafka';
import { Client } from 'pg';
import { CanonicalRecord, SOURCE_HEADERS } from '@homelab/pipeline-contracts';
import { createLogger } from '@homelab/service-kit';
import {
  DEFAULT_COLUMNS,
  parseSinkConfig,
  SinkConfig,
  SinkConfigInput,
} from '../config';
import { createSink, Sink } from '../sink';

export const testLogger = () =>
  createLogger('timescaledb-sink-test', process.env.LOG_LEVEL ?? 'silent');

/** Test topics for one test: unique names so tests can share a cluster. */
export function testTopics(id: string) {
  return {
    energy: `test.${id}.energy`,
    heatpump: `test.${id}.heatpump`,
    temperature: `test.${id}.temperature`,
    dlq: `test.${id}.dlq`,
  };
}

export function testConfig(opts: {
  brokers: string[];
  url: string;
  id: string;
  overrides?: Partial<SinkConfigInput>;
}): SinkConfig {
  const topics = testTopics(opts.id);
  const input: SinkConfigInput = {
    kafka: {
      brokers: opts.brokers,
      group: `sink-${opts.id}`,
      dlqTopic: topics.dlq,
      // Generous on a loaded 2-core machine: a slow write must not cost the
      // group membership and turn into a replay.
      sessionTimeoutMs: 30_000,
    },
    streams: {
      energy: {
        topic: topics.energy,
        table: 'energy_readings',
        columns: DEFAULT_COLUMNS.energy,
      },
      heatpump: {
        topic: topics.heatpump,
        table: 'heatpump_readings',
        columns: DEFAULT_COLUMNS.heatpump,
      },
      temperature: {
        topic: topics.temperature,
        table: 'temperature_readings',
        columns: DEFAULT_COLUMNS.temperature,
      },
    },
    // PGlite serves every connection from one session and has lost answers
    // to concurrent queries; one connection keeps its tests deterministic.
    database: {
      url: opts.url,
      schema: `sink_${opts.id}`,
      poolMax: 1,
      statementTimeoutMs: 20_000,
      queryTimeoutMs: 30_000,
    },
    batch: { maxWaitMs: 100 },
    retry: { initialBackoffMs: 100, maxBackoffMs: 1000 },
    // The local TimescaleDB runs its jobs: with the default policies a test's
    // fixed, months-old timestamps would be compressed or dropped mid-test.
    timescale: {
      compressAfter: '100 years',
      rawRetention: '100 years',
      aggregateRetention: '100 years',
    },
    ops: { port: 0, host: '127.0.0.1' },
    ...opts.overrides,
  };
  return parseSinkConfig(input);
}

/** Everything one test needs to be unique: id, topics, config, schema. */
export function testCase(
  brokers: string[],
  url: string,
  overrides?: Partial<SinkConfigInput>,
) {
  const id = uid();
  const topics = testTopics(id);
  const config = testConfig({ brokers, url, id, overrides });
  return { id, topics, config, schema: config.database.schema };
}

/** The test's three stream topics and its DLQ. */
export function createTestTopics(
  brokers: string[],
  topics: ReturnType<typeof testTopics>,
  partitions = 1,
) {
  return createTopics(
    brokers,
    [topics.energy, topics.heatpump, topics.temperature, topics.dlq],
    partitions,
  );
}

export async function connectProducer(brokers: string[]): Promise<Producer> {
  // Idempotent: a send retried after a fresh topic's leader moved must not
  // append its records twice (the replay test counts offsets exactly).
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  return producer;
}

/** Produces records as the bridge would: key = device id, source headers. */
export async function produceRecords(
  producer: Producer,
  topic: string,
  records: (CanonicalRecord | string)[],
) {
  for (let i = 0; i < records.length; i += 5000) {
    await producer.send({
      topic,
      acks: -1,
      messages: records.slice(i, i + 5000).map(r =>
        typeof r === 'string'
          ? { key: 'garbage', value: r }
          : {
              key: r.device_id,
              value: JSON.stringify(r),
              headers: {
                [SOURCE_HEADERS.mqttTopic]: r.source.mqtt_topic,
                [SOURCE_HEADERS.stream]: r.stream,
              },
            },
      ),
    });
  }
}

export async function startTestSink(config: SinkConfig): Promise<Sink> {
  const sink = createSink(config, { logger: testLogger() });
  await sink.start();
  return sink;
}

const clients = new Map<string, Promise<Client>>();

/**
 * One connection per database for a test file's queries rather than one per
 * poll: the local PGlite serves every connection from one backend, and each
 * new connection's authentication holds it for everyone. A broken connection
 * (a restarted server) is dropped and the next query connects again.
 */
function clientFor(url: string): Promise<Client> {
  let pending = clients.get(url);
  if (!pending) {
    const client = new Client({ connectionString: url, query_timeout: 60_000 });
    const forget = () => {
      if (clients.get(url) === pending) clients.delete(url);
    };
    client.on('error', forget);
    client.on('end', forget);
    pending = client.connect().then(() => client);
    pending.catch(forget);
    clients.set(url, pending);
  }
  return pending;
}

if (typeof afterAll === 'function') {
  afterAll(async () => {
    const open = [...clients.values()];
    clients.clear();
    for (const pending of open)
      await pending.then(c => c.end()).catch(() => undefined);
  });
}

/** Simple-protocol queries only (no parameters), which PGlite's socket server handles safely. */
export async function query<T = Record<string, unknown>>(
  url: string,
  sql: string,
): Promise<T[]> {
  const client = await clientFor(url);
  try {
    return (await client.query(sql)).rows as T[];
  } catch (e) {
    // A late answer would be taken for the next query's: start afresh.
    if (/timeout/i.test((e as Error).message)) {
      clients.delete(url);
      await client.end().catch(() => undefined);
    }
    throw e;
  }
}

export async function count(
  url: string,
  schema: string,
  table: string,
): Promise<number> {
  const [row] = await query<{ n: string }>(
    url,
    `SELECT count(*) AS n FROM "${schema}"."${table}"`,
  );
  return Number(row.n);
}

/** Waits until each table holds exactly the expected number of rows. */
export async function waitForRows(
  url: string,
  schema: string,
  expected: Record<string, number>,
  timeoutMs = 60_000,
) {
  for (const [table, n] of Object.entries(expected)) {
    await eventually(
      `${n} rows in ${table}`,
      async () => (await count(url, schema, table)) === n,
      { timeoutMs },
    );
  }
}

export async function dropSchema(url: string, schema: string) {
  await query(url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
}

export interface SeenMessage {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Collects every message of a topic from the start until stopped, e.g. the DLQ. */
export async function watchTopic(brokers: string[], topic: string) {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `watcher-${uid()}` });
  const seen: SeenMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {}))
        headers[k] = String(Array.isArray(v) ? v[0] : v);
      seen.push({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        headers,
      });
    },
  });
  return { seen, stop: () => consumer.disconnect() };
}

/** A random string of letters, which neither compresses nor repeats. */
export function randomLetters(n: number): string {
  const bytes = randomBytes(n);
  let out = '';
  for (let i = 0; i < n; i++) out += String.fromCharCode(97 + (bytes[i] % 26));
  return out;
}

/**
 * `perDevice` readings for each of `devices` devices, the sequence number as
 * `power_kw` (and a second apart), so a count by device and sequence can
 * prove that nothing was lost or doubled. Interleaved as devices would send.
 */
export function sequencedReadings(
  prefix: string,
  devices: number,
  perDevice: number,
  base = Date.now() - 3_600_000,
): CanonicalRecord[] {
  const out: CanonicalRecord[] = [];
  for (let seq = 0; seq < perDevice; seq++)
    for (let d = 0; d < devices; d++)
      out.push(
        canonicalRecord(
          'energy',
          `${prefix}-${d}`,
          {
            power_kw: seq,
          },
          new Date(base + seq * 1000),
        ),
      );
  return out;
}

/** Per device: rows, distinct sequences, lowest and highest; exactly once means n = distinct = perDevice. */
export async function sequencesByDevice(
  url: string,
  schema: string,
  table = 'energy_readings',
) {
  const rows = await query<{
    device_id: string;
    n: string;
    distinct_seq: string;
    lo: number;
    hi: number;
  }>(
    url,
    `SELECT device_id, count(*) AS n, count(DISTINCT power_kw) AS distinct_seq,
            min(power_kw) AS lo, max(power_kw) AS hi
     FROM "${schema}"."${table}" GROUP BY device_id ORDER BY device_id`,
  );
  return rows
    .map(r => ({
      device: r.device_id,
      rows: Number(r.n),
      sequences: Number(r.distinct_seq),
      lo: r.lo,
      hi: r.hi,
    }))
    .sort((a, b) => (a.device < b.device ? -1 : 1));
}

/** What sequencesByDevice says when every reading is stored exactly once. */
export function exactlyOnce(
  prefix: string,
  devices: number,
  perDevice: number,
) {
  return Array.from({ length: devices }, (_, d) => ({
    device: `${prefix}-${d}`,
    rows: perDevice,
    sequences: perDevice,
    lo: 0,
    hi: perDevice - 1,
  })).sort((a, b) => (a.device < b.device ? -1 : 1));
}

/** Sends until Kafka takes it: a test producer rides out a broker restart. */
export async function sendUntilAccepted(
  producer: Producer,
  topic: string,
  records: CanonicalRecord[],
  timeoutMs = 120_000,
) {
  await eventually(
    `Kafka to accept ${records.length} records`,
    async () => {
      await produceRecords(producer, topic, records);
      return true;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/** Reads every message of a topic from the start, e.g. the DLQ. */
export async function readTopic(
  brokers: string[],
  topic: string,
  expected: number,
  timeoutMs = 30_000,
): Promise<SeenMessage[]> {
  const watch = await watchTopic(brokers, topic);
  try {
    await eventually(
      `${expected} messages on ${topic}`,
      () => watch.seen.length >= expected,
      { timeoutMs },
    );
  } finally {
    await watch.stop();
  }
  return watch.seen;
}

/**
 * What most tests of one running sink share, set up before and torn down
 * after the enclosing describe: its own topics and schema, the sink, a
 * producer and a watcher of its DLQ.
 */
export function useSinkFixture(
  brokers: () => string[],
  url: () => string,
  overrides?: Partial<SinkConfigInput>,
) {
  const fixture = {
    ...testCase(brokers(), url(), overrides),
    url: url(),
    sink: undefined as unknown as Sink,
    producer: undefined as unknown as Producer,
    dlq: undefined as unknown as Awaited<ReturnType<typeof watchTopic>>,
  };
  beforeAll(async () => {
    await createTestTopics(brokers(), fixture.topics);
    fixture.producer = await connectProducer(brokers());
    fixture.dlq = await watchTopic(brokers(), fixture.topics.dlq);
    fixture.sink = await startTestSink(fixture.config);
  });
  afterAll(async () => {
    await fixture.sink?.stop('test done');
    await fixture.producer?.disconnect();
    await fixture.dlq?.stop();
    await dropSchema(fixture.url, fixture.schema);
  });
  return fixture;
}

/**
 * Whether the sink paused a partition and replayed a chunk. Delivery is
 * at-least-once: after a lost answer (a query timeout on a slow machine) a
 * committed chunk is written again and its replays and conflicts are counted
 * again. Tests assert exact counts unless this says a replay happened.
 */
export async function sinkReplayed(sink: Sink): Promise<boolean> {
  const metric = await sink.metrics.registry
    .getSingleMetric('timescaledb_sink_db_retries_total')!
    .get();
  return metric.values.some(v => v.value > 0);
}
