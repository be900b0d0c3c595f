import { randomUUID } from 'node:crypto';
import type { Entity } from '@backstage/catalog-model';
import { Client } from 'pg';
import { testInfra } from '@homelab/infra';

import {
  ownDatabase,
  testTimescaleService,
} from '../../__testUtils__/timescale';

const infra = testInfra();
const DEVICES = ['meter1', 'meter2', 'meter3'];
/** Rows per device: one every 10 minutes for 3 days, the newest 5 minutes ago. */
const ROWS_PER_DEVICE = 3 * 24 * 6;
/** Of those, the ones inside the last hour (5, 15, … 55 minutes ago). */
const ROWS_LAST_HOUR = 6;

function entity(table: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'sink',
      annotations: { 'streaming.homelab.dev/hypertables': `db/${table}` },
    },
    spec: {},
  };
}

async function createAndFill(url: string, table: string, timescale: boolean) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `CREATE TABLE ${table} (ts timestamptz NOT NULL, device_id text NOT NULL, power_kw double precision, voltage double precision, extra jsonb, UNIQUE (device_id, ts))`,
    );
    if (timescale) {
      await client.query(
        `SELECT create_hypertable('${table}', 'ts', chunk_time_interval => interval '1 day')`,
      );
    }
    // Anchored to the minute so the rows' ages are exact multiples of 10 minutes plus 5.
    await client.query(
      `INSERT INTO ${table} (ts, device_id, power_kw, voltage)
       SELECT date_trunc('minute', now()) - interval '5 minutes' - i * interval '10 minutes', d, 1 + i % 2, 230
         FROM generate_series(0, $1 - 1) i, unnest($2::text[]) d`,
      [ROWS_PER_DEVICE, DEVICES],
    );
    if (timescale) {
      await client.query(
        `CREATE MATERIALIZED VIEW ${table}_hourly WITH (timescaledb.continuous) AS
           SELECT time_bucket('1 hour', ts) AS bucket, device_id,
                  avg(power_kw) AS power_kw_avg, max(power_kw) AS power_kw_max, count(*) AS count
             FROM ${table} GROUP BY 1, 2 WITH NO DATA`,
      );
      // Up to the hour of the newest row, not of now(): in the first minutes of an hour
      // the newest row is still in the previous one, and nothing would be left pending.
      await client.query(
        `CALL refresh_continuous_aggregate('${table}_hourly', NULL, date_trunc('hour', date_trunc('minute', now()) - interval '5 minutes'))`,
      );
      await client.query(
        `SELECT add_continuous_aggregate_policy('${table}_hourly', start_offset => interval '3 hours', end_offset => interval '1 hour', schedule_interval => interval '30 minutes')`,
      );
      await client.query(
        `ALTER TABLE ${table} SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id')`,
      );
      await client.query(
        `SELECT add_compression_policy('${table}', interval '2 days')`,
      );
      await client.query(
        `SELECT compress_chunk(c) FROM show_chunks('${table}', older_than => interval '2 days') c`,
      );
    } else {
      await client.query(`ANALYZE ${table}`);
    }
  } finally {
    await client.end();
  }
}

async function dropTable(url: string, table: string, timescale: boolean) {
  const client = new Client({ connectionString: url });
  await client.connect();
  if (timescale)
    await client
      .query(`DROP MATERIALIZED VIEW IF EXISTS ${table}_hourly`)
      .catch(() => undefined);
  await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  await client.end();
}

const service = (url: string, maxConnections = 4) =>
  testTimescaleService(url, maxConnections);

describe('TimescaleDB stats in PGlite', () => {
  const table = `readings_${randomUUID().slice(0, 8)}`;
  // PGlite serves one session: parallel connections would interleave their protocol messages.
  const { databases, timescale } = service(infra.timescaleUrl, 1);

  beforeAll(() => createAndFill(infra.timescaleUrl, table, true), 120_000);
  afterAll(async () => {
    await databases.close();
    await dropTable(infra.timescaleUrl, table, true);
  }, 60_000);

  it('reports sizes, chunks, compression, aggregates, jobs, freshness and ingest', async () => {
    const result = await timescale.forEntity(entity(table));
    expect(result.databases).toEqual([
      { name: 'db', timescale: true, version: expect.any(String) },
    ]);
    const t = result.tables[0];
    expect(t.error).toBeUndefined();
    expect(t).toMatchObject({ database: 'db', table, timescale: true });
    expect(t.note).toBeUndefined();
    expect(t.sizes!.totalBytes).toBeGreaterThan(0);
    expect(t.sizes!.totalBytes).toBeGreaterThanOrEqual(
      t.sizes!.tableBytes + t.sizes!.indexBytes,
    );
    expect(t.rowEstimate).not.toBeNull();
    expect(t.rows).toEqual({
      count: ROWS_PER_DEVICE * DEVICES.length,
      kind: 'exact',
    });
    // 3 days of data in 1-day chunks: 3 or 4 chunks depending on the time of day.
    expect(t.chunks!.count).toBeGreaterThanOrEqual(3);
    expect(Date.parse(t.chunks!.rangeStart!)).toBeLessThan(
      Date.now() - 3 * 86_400_000 + 3_600_000,
    );
    expect(t.compression).toMatchObject({
      enabled: true,
      totalChunks: t.chunks!.count,
    });
    expect(t.compression!.compressedChunks).toBeGreaterThanOrEqual(1);
    expect(t.compression!.ratio).toBeGreaterThan(0);
    expect(t.continuousAggregates).toEqual([
      {
        name: `${table}_hourly`,
        materializedOnly: expect.any(Boolean),
        materialized: true,
        watermark: expect.any(String),
        // The rows of the current hour, past the watermark.
        pendingRows: { count: expect.any(Number), kind: 'exact' },
        pendingSince: expect.any(String),
      },
    ]);
    // Refreshed up to the newest row's hour: the watermark is that hour.
    expect(Date.parse(t.continuousAggregates![0].watermark!)).toBeGreaterThan(
      Date.now() - 2 * 3_600_000,
    );
    const jobs = t.jobs!.map(j => [j.procName, j.target]);
    expect(jobs).toEqual(
      expect.arrayContaining([
        ['policy_compression', table],
        ['policy_refresh_continuous_aggregate', `${table}_hourly`],
      ]),
    );
    expect(
      t.jobs!.find(j => j.procName === 'policy_compression')!.scheduleInterval,
    ).toBeTruthy();
    const newest = Date.parse(t.freshness!.newestTs!);
    expect(Date.now() - newest).toBeGreaterThanOrEqual(5 * 60_000 - 60_000);
    expect(Date.now() - newest).toBeLessThan(6 * 60_000);
    expect(t.freshness!.perDevice.map(d => d.deviceId).sort()).toEqual(DEVICES);
    expect(t.ingest!.rowsLastHour).toBe(ROWS_LAST_HOUR * DEVICES.length);
    expect(t.ingest!.ratePerSecond).toBeCloseTo(
      (ROWS_LAST_HOUR * DEVICES.length) / 3600,
      6,
    );
  }, 60_000);

  it('reads hourly history from the continuous aggregate and falls back to time_bucket for days', async () => {
    const hourly = await timescale.history(
      entity(table),
      `db/${table}`,
      'hour',
      6,
    );
    expect(hourly.source).toBe(`aggregate:${table}_hourly`);
    expect(hourly.series).toEqual(['power_kw_avg', 'power_kw_max', 'count']);
    expect(new Set(hourly.points.map(p => p.deviceId))).toEqual(
      new Set(DEVICES),
    );
    const full = hourly.points.filter(p => p.values.count === 6);
    expect(full.length).toBeGreaterThan(0);
    // Six rows alternating 1 and 2 kW per full hour.
    for (const p of full) expect(p.values.power_kw_avg).toBeCloseTo(1.5, 6);

    const daily = await timescale.history(
      entity(table),
      `db/${table}`,
      'day',
      24 * 5,
    );
    expect(daily.source).toBe('raw');
    expect(daily.series).toEqual([
      'power_kw_avg',
      'power_kw_min',
      'power_kw_max',
      'voltage_avg',
      'voltage_min',
      'voltage_max',
      'count',
    ]);
    const total = daily.points.reduce(
      (sum, p) => sum + (p.values.count ?? 0),
      0,
    );
    expect(total).toBe(ROWS_PER_DEVICE * DEVICES.length);
  }, 60_000);

  it('gives a table that does not exist its own error', async () => {
    const result = await timescale.forEntity(entity(`${table}_missing`));
    expect(result.tables[0].error).toContain(
      `table ${table}_missing does not exist in database "db"`,
    );
  }, 30_000);
});

describe('table stats on plain PostgreSQL', () => {
  const table = `readings_${randomUUID().slice(0, 8)}`;
  const db = ownDatabase(infra.databaseUrl, 'stats');
  const { databases, timescale } = service(db.url);

  beforeAll(async () => {
    await db.create();
    await createAndFill(db.url, table, false);
  }, 60_000);
  afterAll(async () => {
    await databases.close();
    await db.drop();
  }, 30_000);

  it("shows PostgreSQL's own statistics and says the TimescaleDB views are absent", async () => {
    const result = await timescale.forEntity(entity(table));
    expect(result.databases).toEqual([{ name: 'db', timescale: false }]);
    const t = result.tables[0];
    expect(t.error).toBeUndefined();
    expect(t.timescale).toBe(false);
    expect(t.note).toContain(
      'the TimescaleDB extension is not installed in database "db"',
    );
    expect(t.sizes!.tableBytes).toBeGreaterThan(0);
    expect(t.sizes!.indexBytes).toBeGreaterThan(0);
    expect(t.rowEstimate).toBe(ROWS_PER_DEVICE * DEVICES.length);
    expect(t.chunks).toBeUndefined();
    expect(t.freshness!.perDevice).toHaveLength(3);
    expect(t.ingest!.rowsLastHour).toBe(ROWS_LAST_HOUR * DEVICES.length);
  }, 30_000);

  it('buckets history with date_trunc', async () => {
    const hourly = await timescale.history(
      entity(table),
      `db/${table}`,
      'hour',
      3,
    );
    expect(hourly.source).toBe('raw');
    expect(hourly.points.length).toBeGreaterThan(0);
    for (const p of hourly.points)
      expect(new Date(p.bucket).getUTCMinutes()).toBe(0);
  }, 30_000);
});
