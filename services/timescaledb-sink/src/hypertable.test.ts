import type { CanonicalRecord } from '@homelab/pipeline-contracts';
import { parseSinkConfig } from './config';
import {
  createAggregateSql,
  createTableSql,
  hypertablesFromConfig,
  insertArrays,
  insertStatement,
  literal,
  pgArray,
} from './hypertable';
import { plannedMigrations } from './migrations';

const config = parseSinkConfig({
  kafka: { brokers: 'a:1' },
  database: { schema: 'sink_test' },
});
const [energy, heatpump] = hypertablesFromConfig(config);

const record = (fields: Record<string, number>): CanonicalRecord => ({
  stream: 'energy',
  device_id: 'meter1',
  ts: '2026-01-03T16:00:00Z',
  fields,
  received_at: '2026-01-03T16:00:00.041Z',
  source: {
    mqtt_topic: 'homelab/energy/meter1',
    qos: 1,
    retained: false,
    bridge_id: 'b1',
  },
});

describe('hypertable SQL', () => {
  it('maps each stream to its table with typed columns and a unique (device_id, ts) key', () => {
    expect(energy).toMatchObject({
      stream: 'energy',
      topic: 'homelab.energy',
      name: 'energy_readings',
      schema: 'sink_test',
    });
    expect(heatpump.columns.map(c => c.name)).toEqual(['d0', 'd5', 'd6']);
    const ddl = createTableSql(energy);
    expect(ddl).toContain(
      'CREATE TABLE IF NOT EXISTS "sink_test"."energy_readings"',
    );
    expect(ddl).toContain('"power_kw" double precision');
    expect(ddl).toContain('extra jsonb');
    expect(ddl).toContain('UNIQUE (device_id, ts)');
  });

  it('inserts a whole batch with one UNNEST statement, keeps the first value and counts replays and conflicts', () => {
    const sql = insertStatement(heatpump, [
      { ...record({ d0: 1, d5: 2 }), stream: 'heatpump' },
      { ...record({ d6: 3 }), stream: 'heatpump', device_id: "o'hara" },
    ]);
    expect(sql).toContain(`FROM unnest(
  '{"2026-01-03T16:00:00Z","2026-01-03T16:00:00Z"}'::timestamptz[],
  E'{"meter1","o''hara"}'::text[],
  '{"2026-01-03T16:00:00.041Z","2026-01-03T16:00:00.041Z"}'::timestamptz[],
  '{1,NULL}'::double precision[],
  '{2,NULL}'::double precision[],
  '{NULL,3}'::double precision[],
  '{NULL,NULL}'::jsonb[])
  WITH ORDINALITY AS u(ts, device_id, received_at, "d0", "d5", "d6", extra, n)`);
    expect(sql).toContain('ON CONFLICT (device_id, ts) DO NOTHING');
    expect(sql).toContain(
      'INSERT INTO "sink_test"."streaming_sink_conflicts" AS c',
    );
    expect(sql).toContain("SELECT 'heatpump_readings', replays, conflicts");
    // No bind parameters: one self-contained simple-protocol message.
    expect(sql).not.toMatch(/\$\d/);
  });

  it('puts known fields in typed columns and the rest in extra', () => {
    const params = insertArrays(energy, [
      record({ power_kw: 3.2, voltage: 230, frequency_hz: 50 }),
      record({ voltage_l1: 236 }),
    ]);
    const col = (name: string) =>
      params[3 + energy.columns.findIndex(c => c.name === name)];
    expect(params[0]).toBe('{"2026-01-03T16:00:00Z","2026-01-03T16:00:00Z"}');
    expect(params[1]).toBe('{"meter1","meter1"}');
    expect(col('power_kw')).toBe('{3.2,NULL}');
    expect(col('voltage_l1')).toBe('{NULL,236}');
    expect(params[params.length - 1]).toBe('{"{\\"frequency_hz\\":50}",NULL}');
  });

  it('builds continuous aggregates with avg/min/max/count per typed column', () => {
    const sql = createAggregateSql(
      heatpump,
      'heatpump_readings_hourly',
      '1 hour',
    );
    expect(sql).toContain('"sink_test"."heatpump_readings_hourly"');
    expect(sql).toContain('timescaledb.continuous');
    expect(sql).toContain(`time_bucket(INTERVAL '1 hour', ts) AS bucket`);
    for (const stat of ['avg', 'min', 'max', 'count'])
      expect(sql).toContain(`${stat}("d5") AS "d5_${stat}"`);
  });
});

describe('literal', () => {
  it('cannot be ended early by quotes or backslashes', () => {
    expect(literal('plain')).toBe("'plain'");
    expect(literal("it's")).toBe("E'it''s'");
    expect(literal("a\\'; DROP TABLE x; --")).toBe(
      "E'a\\\\''; DROP TABLE x; --'",
    );
  });
});

describe('pgArray', () => {
  it('quotes strings and escapes quotes and backslashes', () => {
    expect(pgArray(['a"b', 'c\\d', null, 1.5, -2e21])).toBe(
      '{"a\\"b","c\\\\d",NULL,1.5,-2e+21}',
    );
    expect(pgArray([])).toBe('{}');
  });
});

describe('plannedMigrations', () => {
  it('on plain PostgreSQL creates tables and a time index only', () => {
    const versions = plannedMigrations(config, false).map(m => m.version);
    expect(versions).toEqual([
      '0001_streaming_sink_conflicts_table',
      '0001_energy_readings_table',
      '0002_energy_readings_ts_index',
      '0001_heatpump_readings_table',
      '0002_heatpump_readings_ts_index',
      '0001_temperature_readings_table',
      '0002_temperature_readings_ts_index',
    ]);
    expect(
      plannedMigrations(config, false)
        .flatMap(m => m.statements)
        .join('\n'),
    ).not.toMatch(/timescaledb|create_hypertable/);
  });

  it('on TimescaleDB adds hypertables, aggregates, compression and retention', () => {
    const sql = plannedMigrations(config, true)
      .filter(m => m.version.includes('energy_readings'))
      .flatMap(m => m.statements)
      .join('\n');
    expect(sql).toContain(
      `create_hypertable('"sink_test"."energy_readings"', 'ts'`,
    );
    expect(sql).toContain('"sink_test"."energy_readings_hourly"');
    expect(sql).toContain('"sink_test"."energy_readings_daily"');
    expect(sql).toContain("timescaledb.compress_segmentby = 'device_id'");
    expect(sql).toContain(
      `add_compression_policy('"sink_test"."energy_readings"', INTERVAL '7 days'`,
    );
    expect(sql).toContain(
      `add_retention_policy('"sink_test"."energy_readings"', INTERVAL '90 days'`,
    );
    expect(sql).toContain(
      `add_retention_policy('"sink_test"."energy_readings_daily"', INTERVAL '2 years'`,
    );
    expect(sql).toContain('add_continuous_aggregate_policy');
  });

  it('adds the raw archive when enabled', () => {
    const withRaw = parseSinkConfig({
      kafka: { brokers: 'a:1' },
      rawArchive: { enabled: true },
    });
    expect(plannedMigrations(withRaw, true).map(m => m.version)).toContain(
      '0001_iot_raw_data_raw_archive',
    );
  });
});
