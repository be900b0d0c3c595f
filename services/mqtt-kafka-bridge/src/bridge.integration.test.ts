import {
  DLQ_HEADERS,
  SOURCE_HEADERS,
  canonicalRecordSchema,
} from '@homelab/pipeline-contracts';
import { MqttClient } from 'mqtt';
import { RunningBridge } from './bridge';
import { DLQ_ORIGINAL_BYTES_HEADER } from './kafkaMessage';
import {
  TopicReader,
  connectPublisher,
  headers,
  health,
  metric,
  startTestBridge,
  testConfig,
} from './__testUtils__/harness';
import { uid } from '@homelab/test-kit';
import { testEnvironment } from './__testUtils__/environment';

/**
 * The three payload shapes and the dead letters,
 * through the shared Mosquitto and Kafka.
 */
describe('bridge against Mosquitto and Kafka', () => {
  const env = testEnvironment();
  const id = uid();
  const {
    config: raw,
    prefix,
    topics,
  } = testConfig({
    id,
    kafkaBrokers: env.kafkaBrokers,
    mqttUrl: env.mqttUrl,
  });
  (raw.mqtt as Record<string, unknown>).extraSubscriptions = [
    `${prefix}/unknown/#`,
  ];
  let bridge: RunningBridge;
  let publisher: MqttClient;
  const readers: TopicReader[] = [];

  beforeAll(async () => {
    bridge = await startTestBridge(raw, 'bridge-test');
    publisher = await connectPublisher(env.mqttUrl, `pub-${id}`);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(readers.map(r => r.stop()));
    await publisher?.endAsync();
    await bridge?.stop('test end');
  });

  const reader = async (topic: string) => {
    const r = await TopicReader.start(env.kafkaBrokers, topic);
    readers.push(r);
    return r;
  };

  it('turns each device payload shape into the canonical record, keyed by device, with source headers', async () => {
    const flatMeter = `{
    "timestamp": "2026-01-03T16:00:00Z",
    "total_energy_kwh": 12.45,
    "power_kw": 3.2,
    "voltage": 230,
    "current": 13.9
  }`;
    const now = Date.now();
    const fieldsMeter = JSON.stringify({
      ts: new Date(now - 1000).toISOString().replace('Z', '88864Z'),
      fields: {
        active_power_total: 1289,
        active_power_l1: 1048,
        active_power_l2: 190,
        voltage_l1: 236,
      },
    });
    const heatPump = JSON.stringify({
      device_id: 'device-001',
      timestamp: Math.floor(now / 1000) - 5,
      d0: 5.2,
      d5: 35.0,
      d6: 30.5,
    });
    const epochMs = JSON.stringify({ ts: now - 2000, temperature_c: 21.5 });

    await publisher.publishAsync(`${prefix}/energy/meter1`, flatMeter, {
      qos: 1,
    });
    await publisher.publishAsync(`${prefix}/energy/em-3phase`, fieldsMeter, {
      qos: 1,
    });
    await publisher.publishAsync(`${prefix}/heatpump/device-001`, heatPump, {
      qos: 1,
    });
    await publisher.publishAsync(`${prefix}/temperature/living-room`, epochMs, {
      qos: 1,
    });

    const energy = await (await reader(topics.energy)).waitForCount(2);
    const heat = await (await reader(topics.heatpump)).waitForCount(1);
    const temp = await (await reader(topics.temperature)).waitForCount(1);

    const byKey = Object.fromEntries(
      [...energy, ...heat, ...temp].map(m => [m.key!.toString(), m]),
    );
    const record = (key: string) =>
      canonicalRecordSchema.parse(JSON.parse(byKey[key].value!.toString()));

    expect(record('meter1')).toMatchObject({
      stream: 'energy',
      device_id: 'meter1',
      ts: '2026-01-03T16:00:00.000Z',
      fields: {
        total_energy_kwh: 12.45,
        power_kw: 3.2,
        voltage: 230,
        current: 13.9,
      },
      source: {
        mqtt_topic: `${prefix}/energy/meter1`,
        qos: 1,
        retained: false,
        bridge_id: `bridge-${id}`,
      },
    });
    expect(headers(byKey.meter1)).toMatchObject({
      [SOURCE_HEADERS.mqttTopic]: `${prefix}/energy/meter1`,
      [SOURCE_HEADERS.qos]: '1',
      [SOURCE_HEADERS.retained]: 'false',
      [SOURCE_HEADERS.bridgeId]: `bridge-${id}`,
      [SOURCE_HEADERS.stream]: 'energy',
      [SOURCE_HEADERS.receivedAt]: record('meter1').received_at,
    });

    expect(record('em-3phase')).toMatchObject({
      stream: 'energy',
      ts: new Date(now - 1000).toISOString(),
      fields: {
        active_power_total: 1289,
        active_power_l1: 1048,
        active_power_l2: 190,
        voltage_l1: 236,
      },
    });
    expect(record('device-001')).toMatchObject({
      stream: 'heatpump',
      ts: new Date((Math.floor(now / 1000) - 5) * 1000).toISOString(),
      fields: { d0: 5.2, d5: 35, d6: 30.5 },
    });
    expect(record('living-room')).toMatchObject({
      stream: 'temperature',
      ts: new Date(now - 2000).toISOString(),
      fields: { temperature_c: 21.5 },
    });
  }, 90_000);

  it('dead-letters every kind of bad input with its reason, acknowledges it, and keeps going', async () => {
    const cases: {
      name: string;
      topic?: string;
      payload: string | Buffer;
      errorClass: string;
      reason: RegExp;
    }[] = [
      {
        name: 'truncated JSON',
        payload: '{"power_kw": 3.2, "volt',
        errorClass: 'not-json',
        reason: /not JSON/,
      },
      {
        name: 'array',
        payload: '[1, 2, 3]',
        errorClass: 'not-an-object',
        reason: /an array/,
      },
      {
        name: 'strings only',
        payload: '{"power_kw":"3.2","unit":"kW"}',
        errorClass: 'no-numeric-field',
        reason: /no finite numeric/,
      },
      {
        name: 'NaN',
        payload: '{"power_kw": NaN}',
        errorClass: 'not-json',
        reason: /not JSON/,
      },
      {
        name: 'year 3000',
        payload: '{"timestamp":"3000-01-01T00:00:00Z","power_kw":1}',
        errorClass: 'bad-timestamp',
        reason: /in the future/,
      },
      {
        name: '2 MB',
        payload: `{"power_kw":1,"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`,
        errorClass: 'too-large',
        reason: /over the limit/,
      },
      {
        name: 'unknown topic',
        topic: `${prefix}/unknown/thing`,
        payload: '{"power_kw":1}',
        errorClass: 'unknown-topic',
        reason: /no route/,
      },
      {
        name: 'empty payload',
        payload: '',
        errorClass: 'not-json',
        reason: /empty/,
      },
      {
        name: 'binary',
        payload: Buffer.from([0x00, 0xff, 0xfe, 0x81, 0x02]),
        errorClass: 'not-json',
        reason: /UTF-8/,
      },
      {
        name: 'null',
        payload: 'null',
        errorClass: 'not-an-object',
        reason: /null/,
      },
      {
        name: 'nested object without numbers',
        payload: '{"meta":{"a":{"b":"c"}},"ok":true}',
        errorClass: 'no-numeric-field',
        reason: /numeric/,
      },
      {
        name: 'negative epoch',
        payload: '{"timestamp":-86400,"power_kw":1}',
        errorClass: 'bad-timestamp',
        reason: /before 2000/,
      },
      {
        name: 'huge number string',
        payload: `{"power_kw":"${'9'.repeat(400)}"}`,
        errorClass: 'no-numeric-field',
        reason: /numeric/,
      },
      {
        name: 'number overflowing to Infinity',
        payload: '{"power_kw":1e999}',
        errorClass: 'no-numeric-field',
        reason: /numeric/,
      },
      {
        name: 'unparseable timestamp',
        payload: '{"ts":"last tuesday","power_kw":1}',
        errorClass: 'bad-timestamp',
        reason: /neither ISO-8601 nor epoch/,
      },
      {
        name: 'no device id',
        topic: `${prefix}/energy`,
        payload: '{"power_kw":1}',
        errorClass: 'no-device-id',
        reason: /no device_id/,
      },
    ];
    const dlq = await reader(topics.dlq);
    const energy = await reader(topics.energy);
    const before = energy.messages.length;
    for (const [i, c] of cases.entries()) {
      // Each publish resolves on Mosquitto's PUBACK to us; the bridge's own PUBACK is checked below.
      await publisher.publishAsync(
        c.topic ?? `${prefix}/energy/bad-${i}`,
        c.payload as Buffer,
        { qos: 1 },
      );
    }
    await publisher.publishAsync(
      `${prefix}/energy/after-bad`,
      '{"power_kw":7}',
      { qos: 1 },
    );

    const letters = await dlq.waitForCount(cases.length);
    expect(letters).toHaveLength(cases.length);
    for (const [i, c] of cases.entries()) {
      const topic = c.topic ?? `${prefix}/energy/bad-${i}`;
      const letter = letters.find(
        m => headers(m)[DLQ_HEADERS.mqttTopic] === topic,
      );
      expect({ name: c.name, found: Boolean(letter) }).toEqual({
        name: c.name,
        found: true,
      });
      const h = headers(letter!);
      expect({ name: c.name, errorClass: h[DLQ_HEADERS.errorClass] }).toEqual({
        name: c.name,
        errorClass: c.errorClass,
      });
      expect(h[DLQ_HEADERS.reason]).toMatch(c.reason);
      expect(h[DLQ_HEADERS.service]).toBe('mqtt-kafka-bridge');
      // The value is the original bytes; only an oversize payload is cut, and says so.
      const original = Buffer.isBuffer(c.payload)
        ? c.payload
        : Buffer.from(c.payload);
      const cut = c.errorClass === 'too-large';
      const value = letter!.value ?? Buffer.alloc(0);
      expect(
        value.equals(cut ? original.subarray(0, 256 * 1024) : original),
      ).toBe(true);
      expect(h[DLQ_ORIGINAL_BYTES_HEADER]).toBe(
        cut ? String(original.length) : undefined,
      );
    }

    await energy.waitForCount(before + 1);
    expect(energy.messages.some(m => m.key?.toString() === 'after-bad')).toBe(
      true,
    );
    expect(await metric(bridge.opsPort, 'bridge_dead_letters_total')).toBe(
      cases.length,
    );
    expect(await metric(bridge.opsPort, 'bridge_pending_acks')).toBe(0);
    expect((await health(bridge.opsPort)).status).toBe('ok');
  }, 120_000);
});
