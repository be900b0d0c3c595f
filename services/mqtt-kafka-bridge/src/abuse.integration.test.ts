import { DLQ_HEADERS, SOURCE_HEADERS } from '@homelab/pipeline-contracts';
import { randomBytes } from 'node:crypto';
import { ConfigResourceTypes, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { MqttClient } from 'mqtt';
import { RunningBridge } from './bridge';
import { DLQ_ORIGINAL_BYTES_HEADER, DLQ_SHA256_HEADER } from './kafkaMessage';
import {
  TopicReader,
  connectPublisher,
  headers,
  health,
  metric,
  startTestBridge,
  testConfig,
} from './__testUtils__/harness';
import { eventually, uid } from '@homelab/test-kit';
import { testEnvironment } from './__testUtils__/environment';

/**
 * Hostile input never stops the bridge and never loses a message. Each row
 * is one hostile MQTT message (or burst); after it, the message is either a
 * record in its topic or a dead letter with the expected class, and a normal
 * reading published right after still reaches Kafka, exactly once.
 */
type Expect = { record: true } | { deadLetter: string };
interface Row {
  name: string;
  /** Topic after the test prefix; `<dev>` is replaced by a device id unique to the row. */
  topic?: string;
  payload: string | Buffer | ((row: number) => string | Buffer);
  qos?: 0 | 1 | 2;
  retain?: boolean;
  /** The same message this many times at once. */
  copies?: number;
  expect: Expect;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const junk = () => Buffer.from(randomBytes(187_500).toString('base64'));

const rows: Row[] = [
  {
    name: 'not JSON',
    payload: '{"power_kw": 3.2',
    expect: { deadLetter: 'not-json' },
  },
  { name: 'empty, QoS 1', payload: '', expect: { deadLetter: 'not-json' } },
  {
    name: 'empty, QoS 0',
    payload: '',
    qos: 0,
    expect: { deadLetter: 'not-json' },
  },
  {
    name: 'valid, QoS 0',
    payload: '{"power_kw":7.7}',
    qos: 0,
    expect: { record: true },
  },
  {
    name: 'valid, QoS 2',
    payload: '{"power_kw":7.8}',
    qos: 2,
    expect: { record: true },
  },
  {
    name: 'not JSON, QoS 2',
    payload: 'hello',
    qos: 2,
    expect: { deadLetter: 'not-json' },
  },
  {
    name: 'retained',
    payload: '{"power_kw":7.9}',
    retain: true,
    expect: { record: true },
  },
  {
    name: 'binary',
    payload: Buffer.from([0, 0xff, 0xfe, 0x81]),
    expect: { deadLetter: 'not-json' },
  },
  {
    name: 'an array',
    payload: '[1,2,3]',
    expect: { deadLetter: 'not-an-object' },
  },
  {
    name: '1 MB',
    payload: `{"power_kw":1,"pad":"${'x'.repeat(1024 * 1024)}"}`,
    expect: { deadLetter: 'too-large' },
  },
  {
    name: 'nested 5,000 deep',
    payload: `{"power_kw":1,"x":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    expect: { deadLetter: 'too-deep' },
  },
  {
    name: '10,000 fields',
    payload: JSON.stringify(
      Object.fromEntries(
        Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i]),
      ),
    ),
    expect: { deadLetter: 'too-many-fields' },
  },
  {
    name: 'a 500-byte field name',
    payload: `{"${'n'.repeat(500)}":1}`,
    expect: { deadLetter: 'field-name-too-long' },
  },
  {
    name: 'NaN and Infinity in strings',
    payload: '{"power_kw":"NaN","voltage":"Infinity","current":"-Infinity"}',
    expect: { deadLetter: 'no-numeric-field' },
  },
  {
    name: 'year 3000',
    payload: '{"timestamp":"3000-01-01T00:00:00Z","power_kw":1}',
    expect: { deadLetter: 'bad-timestamp' },
  },
  {
    name: 'negative timestamp',
    payload: '{"timestamp":-1,"power_kw":1}',
    expect: { deadLetter: 'bad-timestamp' },
  },
  {
    name: 'epoch microseconds',
    payload: () => `{"ts":${nowSeconds() * 1_000_000},"power_kw":1}`,
    expect: { deadLetter: 'bad-timestamp' },
  },
  {
    name: 'epoch seconds (fine)',
    payload: () => `{"ts":${nowSeconds()},"power_kw":1}`,
    expect: { record: true },
  },
  {
    name: 'unicode device id',
    topic: 'energy/zähler-küche-<dev>',
    payload: '{"power_kw":1}',
    expect: { record: true },
  },
  {
    name: 'emoji device id',
    topic: 'energy/meter🔥<dev>',
    payload: '{"power_kw":1}',
    expect: { deadLetter: 'bad-device-id' },
  },
  {
    name: 'NUL in the device id',
    topic: 'energy',
    payload: row => `{"device_id":"a\\u0000b-${row}","power_kw":1}`,
    expect: { deadLetter: 'bad-device-id' },
  },
  {
    name: 'control characters in the device id',
    topic: 'energy',
    payload: row => `{"device_id":"\\u001b[31mred-${row}","power_kw":1}`,
    expect: { deadLetter: 'bad-device-id' },
  },
  {
    name: 'a space in the device id',
    topic: 'heatpump',
    payload: row => `{"device_id":"heat pump ${row}","d0":1}`,
    expect: { deadLetter: 'bad-device-id' },
  },
  {
    name: 'a 3,000-char device id',
    topic: `energy/${'d'.repeat(3000)}<dev>`,
    payload: '{"power_kw":1.5}',
    expect: { deadLetter: 'device-id-too-long' },
  },
  {
    name: 'a topic with extra levels',
    topic: 'energy/<dev>/status/extra',
    payload: '{"power_kw":1}',
    expect: { deadLetter: 'extra-topic-levels' },
  },
  {
    name: 'a topic no route matches',
    topic: 'unknown/<dev>',
    payload: '{"power_kw":1}',
    expect: { deadLetter: 'unknown-topic' },
  },
  {
    name: '8 × 250 KB of base64 junk at once',
    payload: junk,
    copies: 8,
    expect: { deadLetter: 'not-json' },
  },
  {
    name: '50 readings without a timestamp at once',
    payload: row => `{"power_kw":${row}}`,
    copies: 50,
    expect: { record: true },
  },
];

describe('hostile input never stops the bridge nor loses a message', () => {
  const env = testEnvironment();
  const id = uid();
  const { config, prefix, topics } = testConfig({
    id,
    kafkaBrokers: env.kafkaBrokers,
    mqttUrl: env.mqttUrl,
  });
  (config.mqtt as Record<string, unknown>).extraSubscriptions = [
    `${prefix}/unknown/#`,
  ];
  let bridge: RunningBridge;
  let publisher: MqttClient;
  let energy: TopicReader;
  let heatpump: TopicReader;
  let dlq: TopicReader;

  beforeAll(async () => {
    bridge = await startTestBridge(config, 'bridge-abuse');
    publisher = await connectPublisher(env.mqttUrl, `pub-${id}`);
    [energy, heatpump, dlq] = await Promise.all(
      [topics.energy, topics.heatpump, topics.dlq].map(t =>
        TopicReader.start(env.kafkaBrokers, t),
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all([energy, heatpump, dlq].map(r => r?.stop()));
    await publisher?.endAsync();
    await bridge?.stop('test end');
  });

  const sourceTopic = (m: KafkaMessage, dead: boolean) =>
    headers(m)[dead ? DLQ_HEADERS.mqttTopic : SOURCE_HEADERS.mqttTopic] ?? '';
  /** Header values over 2,048 characters are clipped and end in `…`. */
  const sameTopic = (header: string, topic: string) =>
    header.endsWith('…')
      ? topic.startsWith(header.slice(0, -1))
      : header === topic;

  it.each(rows.map((row, i) => [row.name, row, i] as const))(
    '%s',
    async (_name, row, i) => {
      const topic = `${prefix}/${(row.topic ?? 'energy/<dev>').replace(
        '<dev>',
        `row-${i}`,
      )}`;
      const copies = row.copies ?? 1;
      const payloads = Array.from({ length: copies }, () =>
        typeof row.payload === 'function' ? row.payload(i) : row.payload,
      );
      await Promise.all(
        payloads.map(p =>
          publisher.publishAsync(topic, p as Buffer, {
            qos: row.qos ?? 1,
            retain: row.retain ?? false,
          }),
        ),
      );
      const flowDevice = `flow-${i}`;
      await publisher.publishAsync(
        `${prefix}/energy/${flowDevice}`,
        `{"power_kw":${i}}`,
        { qos: 1 },
      );

      const dead = 'deadLetter' in row.expect;
      const readers = dead ? [dlq] : [energy, heatpump];
      const matches = () =>
        readers
          .flatMap(r => r.messages)
          .filter(m => {
            if (!sameTopic(sourceTopic(m, dead), topic)) return false;
            if (!dead || copies > 1) return true;
            // Rows on a shared topic (device id in the payload) are told apart by the payload.
            const value = m.value ?? Buffer.alloc(0);
            const original = Buffer.from(payloads[0] as Buffer);
            return value.equals(original.subarray(0, value.length));
          });
      const found = await eventually(
        `${copies} message(s) of "${row.name}" in ${
          dead ? 'the DLQ' : 'its topic'
        }`,
        () => matches().length >= copies && matches(),
        { timeoutMs: 60_000 },
      );
      const flowed = await eventually(
        'the normal reading after it',
        () => {
          const hits = energy.messages.filter(
            m => m.key?.toString() === flowDevice,
          );
          return hits.length > 0 && hits;
        },
        { timeoutMs: 60_000 },
      );

      // Nothing written twice: not the row's messages, not the reading after it.
      await new Promise(r => setTimeout(r, 500));
      expect(matches()).toHaveLength(copies);
      expect(
        energy.messages.filter(m => m.key?.toString() === flowDevice),
      ).toHaveLength(flowed.length);
      expect(flowed).toHaveLength(1);

      const wanted =
        'deadLetter' in row.expect
          ? { errorClass: row.expect.deadLetter, reason: true, hashIfCut: true }
          : { qos: Math.min(row.qos ?? 1, 1) };
      const observed = found.map(m => {
        const h = headers(m);
        return dead
          ? {
              errorClass: h[DLQ_HEADERS.errorClass],
              reason: (h[DLQ_HEADERS.reason] ?? '').length > 5,
              hashIfCut:
                !h[DLQ_ORIGINAL_BYTES_HEADER] ||
                /^[0-9a-f]{64}$/.test(h[DLQ_SHA256_HEADER] ?? ''),
            }
          : { qos: JSON.parse(m.value!.toString()).source.qos };
      });
      expect(observed).toEqual(Array(copies).fill(wanted));
      // Records of one row never share a stamp (the timestamp-less burst above all).
      const stamps = dead
        ? []
        : found.map(m => JSON.parse(m.value!.toString()).ts);
      expect(new Set(stamps).size).toBe(stamps.length);
    },
    120_000,
  );

  it('leaves nothing unacknowledged and stays healthy', async () => {
    await eventually(
      'every PUBACK sent',
      async () => (await metric(bridge.opsPort, 'bridge_pending_acks')) === 0,
    );
    expect((await health(bridge.opsPort)).status).toBe('ok');
  });
});

/**
 * Kafka refusing a record the bridge could not foresee (the topic's limit was
 * lowered after the bridge read it): the record is isolated and dead-lettered,
 * and the rest of its batch, including what Kafka had already written in the
 * same request, is written exactly once.
 */
describe('a record Kafka refuses', () => {
  const env = testEnvironment();
  const id = uid();
  const { config, prefix, topics } = testConfig({
    id,
    kafkaBrokers: env.kafkaBrokers,
    mqttUrl: env.mqttUrl,
  });
  // A long linger puts everything published at once into one produce request.
  Object.assign(config.kafka, { batch: { lingerMs: 500 } });
  let bridge: RunningBridge;
  let publisher: MqttClient;
  const readers: TopicReader[] = [];

  afterAll(async () => {
    await Promise.all(readers.map(r => r.stop()));
    await publisher?.endAsync();
    await bridge?.stop('test end');
  });

  it('is dead-lettered as kafka-rejected, and no other record of its batch is written twice', async () => {
    bridge = await startTestBridge(config, 'bridge-refused');
    const kafka = new Kafka({
      brokers: env.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topics.energy,
          configEntries: [{ name: 'max.message.bytes', value: '16384' }],
        },
      ],
    });
    await admin.disconnect();
    publisher = await connectPublisher(env.mqttUrl, `pub-${id}`);
    const [energy, heatpump, dlq] = await Promise.all(
      [topics.energy, topics.heatpump, topics.dlq].map(t =>
        TopicReader.start(env.kafkaBrokers, t),
      ),
    );
    readers.push(energy, heatpump, dlq);

    // 200 fields with 100-byte names: a valid reading of about 24 KB.
    const big = JSON.stringify(
      Object.fromEntries(
        Array.from({ length: 200 }, (_, i) => [
          `${'f'.repeat(96)}${String(i).padStart(4, '0')}`,
          i,
        ]),
      ),
    );
    const sends = [
      publisher.publishAsync(`${prefix}/energy/big`, big, { qos: 1 }),
    ];
    for (let seq = 0; seq < 30; seq++) {
      sends.push(
        publisher.publishAsync(
          `${prefix}/heatpump/hp-${seq % 3}`,
          JSON.stringify({ seq, d0: seq }),
          { qos: 1 },
        ),
        publisher.publishAsync(
          `${prefix}/energy/meter-${seq % 6}`,
          JSON.stringify({ seq, power_kw: seq }),
          { qos: 1 },
        ),
      );
    }
    await Promise.all(sends);

    const letters = await dlq.waitForCount(1);
    const h = headers(letters[0]);
    expect(h[DLQ_HEADERS.errorClass]).toBe('kafka-rejected');
    expect(h[DLQ_HEADERS.reason]).toMatch(/MESSAGE_TOO_LARGE/);
    expect(letters[0].value?.toString()).toBe(big);
    await heatpump.waitForCount(30);
    await energy.waitForCount(30);

    await publisher.publishAsync(`${prefix}/heatpump/after`, '{"d0":1}', {
      qos: 1,
    });
    await heatpump.waitForCount(31);
    const seqs = (r: TopicReader) =>
      r.messages
        .map(m => JSON.parse(m.value!.toString()).fields.seq)
        .filter(s => s !== undefined)
        .sort((a, b) => a - b);
    const all = Array.from({ length: 30 }, (_, i) => i);
    expect(seqs(heatpump)).toEqual(all);
    expect(seqs(energy)).toEqual(all);
    expect(dlq.messages).toHaveLength(1);
    expect(
      await metric(bridge.opsPort, 'bridge_kafka_record_errors_total'),
    ).toBeGreaterThanOrEqual(1);
    expect((await health(bridge.opsPort)).status).toBe('ok');
  }, 120_000);
});
