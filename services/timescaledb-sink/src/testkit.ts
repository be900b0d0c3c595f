/**
 * Helpers for the integration tests: canonical records (produced here, not by
 * the bridge, so the sink's tests stand alone), topics, polling.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { Client } from 'pg';
import {
  CanonicalRecord,
  SOURCE_HEADERS,
  StreamName,
} from '@homelab/plugin-streaming-common';
import { createLogger } from '@homelab/service-kit';
import {
  DEFAULT_COLUMNS,
  parseSinkConfig,
  SinkConfig,
  SinkConfigInput,
} from './config';
import { createSink, Sink } from './sink';

export const uid = () => randomBytes(4).toString('hex');

export const testLogger = () =>
  createLogger('timescaledb-sink-test', process.env.LOG_LEVEL ?? 'silent');

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${
          last ? `: ${(last as Error).message}` : ''
        }`,
      );
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
}

export function canonical(
  stream: StreamName,
  deviceId: string,
  ts: Date | string,
  fields: Record<string, number>,
): CanonicalRecord {
  return {
    stream,
    device_id: deviceId,
    ts: typeof ts === 'string' ? ts : ts.toISOString(),
    fields,
    received_at: new Date().toISOString(),
    source: {
      mqtt_topic: `homelab/${stream}/${deviceId}`,
      qos: 1,
      retained: false,
      bridge_id: 'test-bridge',
    },
  };
}

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
      sessionTimeoutMs: 10_000,
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
      statementTimeoutMs: 8_000,
      queryTimeoutMs: 10_000,
    },
    batch: { maxWaitMs: 100 },
    retry: { initialBackoffMs: 100, maxBackoffMs: 1000 },
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

export async function createTopics(
  brokers: string[],
  topics: string[],
  partitions = 1,
) {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map(topic => ({ topic, numPartitions: partitions })),
    });
  } finally {
    await admin.disconnect();
  }
}

export async function connectProducer(brokers: string[]): Promise<Producer> {
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
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

/** Simple-protocol queries only (no parameters), which PGlite's socket server handles safely. */
export async function query<T = Record<string, unknown>>(
  url: string,
  sql: string,
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
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
export async function waitForRows(url: string, schema: string, expected: Record<string, number>, timeoutMs = 60_000) {
  for (const [table, n] of Object.entries(expected)) {
    await waitFor(`${n} rows in ${table}`, async () => (await count(url, schema, table)) === n, timeoutMs);
  }
}

export async function dropSchema(url: string, schema: string) {
  await query(url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
}

/** Reads every message of a topic from the start, e.g. the DLQ. */
export async function readTopic(
  brokers: string[],
  topic: string,
  expected: number,
  timeoutMs = 30_000,
) {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${uid()}` });
  const seen: {
    key: string | null;
    value: string | null;
    headers: Record<string, string>;
  }[] = [];
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
  try {
    await waitFor(
      `${expected} messages on ${topic}`,
      () => seen.length >= expected,
      timeoutMs,
    );
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
