import { Kafka, logLevel } from 'kafkajs';
import { DLQ_HEADERS } from '@homelab/pipeline-contracts';
import { testInfra } from '@homelab/infra';
import type { Producer } from 'kafkajs';
import { SINK_DLQ_HEADERS } from './dlq';
import type { Sink } from './sink';
import {
  connectProducer,
  count,
  createTestTopics,
  dropSchema,
  produceRecords,
  query,
  readTopic,
  startTestSink,
  testCase,
  waitForRows,
} from './__testUtils__/harness';
import { canonicalRecord, eventually } from '@homelab/test-kit';

jest.setTimeout(120_000);

const infra = testInfra();

/** The three device payload shapes, as the bridge turns them into canonical records. */
function seedRecords(id: string) {
  return {
    // flat meter: {timestamp, total_energy_kwh, power_kw, voltage, current}
    meter002: canonicalRecord(
      'energy',
      `meter1-${id}`,
      {
        total_energy_kwh: 12.45,
        power_kw: 3.2,
        voltage: 230,
        current: 13.9,
      },
      '2026-01-03T16:00:00Z',
    ),
    // three-phase meter: {ts, fields:{active_power_total, …}} with nanosecond ts
    meter003: canonicalRecord(
      'energy',
      `meter2-${id}`,
      {
        active_power_total: 1289,
        active_power_l1: 1048,
        active_power_l2: 190,
        active_power_l3: 51,
        voltage_l1: 236,
        voltage_l2: 237,
        voltage_l3: 239,
        frequency_hz: 50.01,
      },
      '2025-12-26T14:46:27.88864083Z',
    ),
    // heat pump: {device_id, timestamp: <epoch seconds>, d0, d5, d6}
    heatpump000: canonicalRecord(
      'heatpump',
      `device-001-${id}`,
      { d0: 5.2, d5: 35.0, d6: 30.5 },
      new Date(1698765432 * 1000),
    ),
    temperature: canonicalRecord(
      'temperature',
      `living-room-${id}`,
      {
        temperature_c: 21.5,
        humidity_pct: 45.2,
        battery_v: 3.01,
      },
      '2026-01-03T16:05:00Z',
    ),
  };
}

async function committedOffset(
  groupId: string,
  topic: string,
): Promise<number> {
  const admin = new Kafka({
    brokers: infra.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return entry.partitions.reduce(
      (sum, p) => sum + Math.max(0, Number(p.offset)),
      0,
    );
  } finally {
    await admin.disconnect();
  }
}

describe('timescaledb-sink on TimescaleDB (PGlite)', () => {
  const { id, topics, config, schema } = testCase(
    infra.kafkaBrokers,
    infra.timescaleUrl,
  );
  const seeds = seedRecords(id);
  let sink: Sink;
  let producer: Producer;

  beforeAll(async () => {
    await createTestTopics(infra.kafkaBrokers, topics);
    producer = await connectProducer(infra.kafkaBrokers);
    sink = await startTestSink(config);
  });

  afterAll(async () => {
    await sink?.stop('test done');
    await producer?.disconnect();
    await dropSchema(infra.timescaleUrl, schema);
  });

  it('stores all three streams and seed payload shapes in the right hypertable and columns', async () => {
    await produceRecords(producer, topics.energy, [
      seeds.meter002,
      seeds.meter003,
    ]);
    await produceRecords(producer, topics.heatpump, [seeds.heatpump000]);
    await produceRecords(producer, topics.temperature, [seeds.temperature]);

    await waitForRows(infra.timescaleUrl, schema, {
      energy_readings: 2,
      heatpump_readings: 1,
      temperature_readings: 1,
    });

    const energy = await query(
      infra.timescaleUrl,
      `SELECT device_id, ts, power_kw, total_energy_kwh, voltage, current, active_power_total, active_power_l1, voltage_l3, extra
       FROM "${schema}".energy_readings ORDER BY ts`,
    );
    expect(energy).toEqual([
      expect.objectContaining({
        device_id: seeds.meter003.device_id,
        ts: new Date('2025-12-26T14:46:27.888Z'),
        power_kw: null,
        active_power_total: 1289,
        active_power_l1: 1048,
        voltage_l3: 239,
        extra: { frequency_hz: 50.01 },
      }),
      expect.objectContaining({
        device_id: seeds.meter002.device_id,
        ts: new Date('2026-01-03T16:00:00Z'),
        power_kw: 3.2,
        total_energy_kwh: 12.45,
        voltage: 230,
        current: 13.9,
        active_power_total: null,
        extra: null,
      }),
    ]);
    // Microseconds survive: the three-phase meter's nanosecond timestamp is rounded, not truncated to ms.
    const [micros] = await query(
      infra.timescaleUrl,
      `SELECT to_char(ts AT TIME ZONE 'UTC', 'US') AS us FROM "${schema}".energy_readings WHERE device_id = '${seeds.meter003.device_id}'`,
    );
    expect(micros.us).toBe('888641');

    const [heatpump] = await query(
      infra.timescaleUrl,
      `SELECT device_id, ts, d0, d5, d6, extra FROM "${schema}".heatpump_readings`,
    );
    expect(heatpump).toEqual({
      device_id: seeds.heatpump000.device_id,
      ts: new Date(1698765432 * 1000),
      d0: 5.2,
      d5: 35,
      d6: 30.5,
      extra: null,
    });
    const [temperature] = await query(
      infra.timescaleUrl,
      `SELECT temperature_c::float8 AS t, humidity_pct::float8 AS h, extra FROM "${schema}".temperature_readings`,
    );
    expect(temperature).toEqual({
      t: 21.5,
      h: 45.2,
      extra: { battery_v: 3.01 },
    });
  });

  it('shows hypertables, continuous aggregates, compression and retention in timescaledb_information', async () => {
    expect(sink.migration?.timescale).toBe(true);
    const hypertables = await query<{
      hypertable_name: string;
      compression_enabled: boolean;
    }>(
      infra.timescaleUrl,
      `SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables
       WHERE hypertable_schema = '${schema}' ORDER BY hypertable_name`,
    );
    expect(hypertables).toEqual([
      { hypertable_name: 'energy_readings', compression_enabled: true },
      { hypertable_name: 'heatpump_readings', compression_enabled: true },
      { hypertable_name: 'temperature_readings', compression_enabled: true },
    ]);

    const aggregates = await query<{
      view_name: string;
      hypertable_name: string;
    }>(
      infra.timescaleUrl,
      `SELECT view_name, hypertable_name FROM timescaledb_information.continuous_aggregates
       WHERE view_schema = '${schema}' ORDER BY view_name`,
    );
    expect(aggregates.map(a => a.view_name)).toEqual([
      'energy_readings_daily',
      'energy_readings_hourly',
      'heatpump_readings_daily',
      'heatpump_readings_hourly',
      'temperature_readings_daily',
      'temperature_readings_hourly',
    ]);

    const jobs = await query<{
      proc_name: string;
      target: string;
      config: Record<string, unknown>;
    }>(
      infra.timescaleUrl,
      `SELECT j.proc_name, coalesce(ca.view_name, j.hypertable_name) AS target, j.config
       FROM timescaledb_information.jobs j
       LEFT JOIN timescaledb_information.continuous_aggregates ca
         ON ca.materialization_hypertable_name = j.hypertable_name
       WHERE coalesce(ca.view_schema, j.hypertable_schema) = '${schema}'`,
    );
    const policy = (proc: string, target: string) =>
      jobs.find(j => j.proc_name === proc && j.target === target)?.config;
    for (const table of [
      'energy_readings',
      'heatpump_readings',
      'temperature_readings',
    ]) {
      expect(policy('policy_compression', table)).toMatchObject({
        compress_after: config.timescale.compressAfter,
      });
      expect(policy('policy_retention', table)).toMatchObject({
        drop_after: config.timescale.rawRetention,
      });
      for (const view of [`${table}_hourly`, `${table}_daily`]) {
        expect(
          policy('policy_refresh_continuous_aggregate', view),
        ).toBeDefined();
        expect(policy('policy_retention', view)).toMatchObject({
          drop_after: config.timescale.aggregateRetention,
        });
      }
    }
    const settings = await query<{
      attname: string;
      segmentby_column_index: number | null;
    }>(
      infra.timescaleUrl,
      `SELECT attname, segmentby_column_index FROM timescaledb_information.compression_settings
       WHERE hypertable_schema = '${schema}' AND hypertable_name = 'energy_readings' AND segmentby_column_index IS NOT NULL`,
    );
    expect(settings.map(s => s.attname)).toEqual(['device_id']);
  });

  it('answers hourly and daily aggregates with avg/min/max/count per typed column', async () => {
    await eventually(
      'heatpump row',
      async () =>
        (await count(infra.timescaleUrl, schema, 'heatpump_readings')) === 1,
      { timeoutMs: 60_000 },
    );
    const [hourly] = await query(
      infra.timescaleUrl,
      `SELECT bucket, device_id, samples::int, d5_avg, d5_min, d5_max, d5_count::int FROM "${schema}".heatpump_readings_hourly`,
    );
    expect(hourly).toEqual({
      bucket: new Date('2023-10-31T15:00:00Z'),
      device_id: seeds.heatpump000.device_id,
      samples: 1,
      d5_avg: 35,
      d5_min: 35,
      d5_max: 35,
      d5_count: 1,
    });
    const [daily] = await query(
      infra.timescaleUrl,
      `SELECT bucket, samples::int FROM "${schema}".heatpump_readings_daily`,
    );
    expect(daily).toEqual({
      bucket: new Date('2023-10-31T00:00:00Z'),
      samples: 1,
    });
  });

  it('isolates a poison record in the middle of a batch: DLQ after 3 tries, neighbours stored', async () => {
    const base = Date.parse('2026-02-01T00:00:00Z');
    const batch = Array.from({ length: 101 }, (_, i) =>
      canonicalRecord(
        'temperature',
        `poison-${id}`,
        {
          temperature_c: 20 + i / 10,
        },
        new Date(base + i * 60_000),
      ),
    );
    // numeric(6,2) cannot hold it: the database refuses this record alone.
    batch[50] = canonicalRecord(
      'temperature',
      `poison-${id}`,
      { temperature_c: 1e9 },
      new Date(base + 50 * 60_000),
    );
    const before = await count(
      infra.timescaleUrl,
      schema,
      'temperature_readings',
    );
    // One send, one partition: the records reach the sink as one batch.
    await produceRecords(producer, topics.temperature, [
      ...batch.slice(0, 70),
      'this is not json',
      ...batch.slice(70),
    ]);

    const letters = await readTopic(infra.kafkaBrokers, topics.dlq, 2);
    const refused = letters.find(
      l => l.headers[DLQ_HEADERS.errorClass] === 'db-22003',
    )!;
    expect(refused).toBeDefined();
    expect(JSON.parse(refused.value!)).toMatchObject({
      fields: { temperature_c: 1e9 },
    });
    // Offset 0 holds the temperature record of the first test.
    expect(refused.key).toBe(`${topics.temperature}:0:${before + 50}`);
    expect(refused.headers).toMatchObject({
      [SINK_DLQ_HEADERS.sourceKey]: `poison-${id}`,
      [DLQ_HEADERS.attempts]: '3',
      [DLQ_HEADERS.topic]: topics.temperature,
      [DLQ_HEADERS.partition]: '0',
      [DLQ_HEADERS.offset]: String(before + 50),
      [DLQ_HEADERS.service]: 'timescaledb-sink',
      [DLQ_HEADERS.mqttTopic]: `homelab/temperature/poison-${id}`,
    });
    expect(refused.headers[DLQ_HEADERS.reason]).toContain(
      'numeric field overflow',
    );
    const garbage = letters.find(
      l => l.headers[DLQ_HEADERS.errorClass] === 'not-json',
    )!;
    expect(garbage.headers).toMatchObject({
      [DLQ_HEADERS.attempts]: '1',
      [DLQ_HEADERS.offset]: String(before + 70),
    });

    await eventually(
      'the 100 neighbours',
      async () =>
        (await count(infra.timescaleUrl, schema, 'temperature_readings')) ===
        before + 100,
      { timeoutMs: 60_000 },
    );
    // The partition moves on past the poison record.
    await eventually(
      'offset committed past the batch',
      async () =>
        (await committedOffset(config.kafka.group, topics.temperature)) ===
        before + 102,
      { timeoutMs: 60_000 },
    );
    const metrics = await sink.metrics.registry.getSingleMetricAsString(
      'timescaledb_sink_dead_letters_total',
    );
    expect(metrics).toMatch(/error_class="db-22003"} 1/);
  });
});

describe('replay', () => {
  const { topics, config, schema } = testCase(
    infra.kafkaBrokers,
    infra.timescaleUrl,
  );

  afterAll(() => dropSchema(infra.timescaleUrl, schema));

  it('adds no row when the group is reset to the beginning and consumes again', async () => {
    await createTestTopics(infra.kafkaBrokers, topics, 3);
    const producer = await connectProducer(infra.kafkaBrokers);
    const base = Date.parse('2026-03-01T00:00:00Z');
    const records = Array.from({ length: 600 }, (_, i) =>
      canonicalRecord(
        'energy',
        `meter-${i % 6}`,
        {
          power_kw: i / 100,
        },
        new Date(base + i * 1000),
      ),
    );
    await produceRecords(producer, topics.energy, records);
    await producer.disconnect();

    let sink = await startTestSink(config);
    await eventually(
      '600 rows',
      async () =>
        (await count(infra.timescaleUrl, schema, 'energy_readings')) === 600,
      { timeoutMs: 60_000 },
    );
    await eventually(
      'offsets committed',
      async () =>
        (await committedOffset(config.kafka.group, topics.energy)) === 600,
      { timeoutMs: 60_000 },
    );
    await sink.stop('reset offsets');

    const admin = new Kafka({
      brokers: infra.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    await admin.resetOffsets({
      groupId: config.kafka.group,
      topic: topics.energy,
      earliest: true,
    });
    expect(await committedOffset(config.kafka.group, topics.energy)).toBe(0);
    await admin.disconnect();

    sink = await startTestSink(config);
    try {
      await eventually(
        'offsets committed again',
        async () =>
          (await committedOffset(config.kafka.group, topics.energy)) === 600,
        { timeoutMs: 60_000 },
      );
      const duplicates = await sink.metrics.registry.getSingleMetricAsString(
        'timescaledb_sink_records_total',
      );
      expect(duplicates).toContain(
        `timescaledb_sink_records_total{topic="${topics.energy}",outcome="duplicate"} 600`,
      );
      expect(await count(infra.timescaleUrl, schema, 'energy_readings')).toBe(
        600,
      );
    } finally {
      await sink.stop('test done');
    }
  });
});
