import { randomUUID } from 'node:crypto';
import type { Entity } from '@backstage/catalog-model';
import type { HypertableStats } from '@homelab/plugin-streaming-common';
import { Client } from 'pg';
import { testInfra } from '@homelab/infra';
import type { TimescaleService } from './TimescaleService';
import {
  ownDatabase,
  testTimescaleService,
} from '../../__testUtils__/timescale';

/*
 * What the TimescaleDB tab says must be true on a fresh stack: an aggregate
 * not yet materialised says so (not the watermark -infinity as a date), row
 * counts are exact when the estimate is missing, jobs run locally, and the
 * sink's conflict counts add up. Runs against the PGlite TimescaleDB of
 * `homelab-infra exec`, whose in-process scheduler runs the jobs, and against
 * plain PostgreSQL.
 */

const infra = testInfra();
const id = randomUUID().slice(0, 8);
const schema = `truth_${id}`;
/** One row every 10 minutes for 5 days from one meter, the newest now. */
const ROWS = 6 * 24 * 5 + 1;

function entity(...tables: string[]): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'sink',
      annotations: {
        'streaming.homelab.dev/hypertables': tables
          .map(t => `db/${t}`)
          .join(','),
      },
    },
    spec: {},
  };
}

const service = (url: string, maxConnections = 1) =>
  testTimescaleService(url, maxConnections);

async function sql(url: string, statements: string[]) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of statements) await client.query(s);
  } finally {
    await client.end();
  }
}

async function firstRow(url: string, query: string) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(query)).rows[0];
  } finally {
    await client.end();
  }
}

const createReadings = (table: string) => [
  `CREATE TABLE ${table} (ts timestamptz NOT NULL, device_id text NOT NULL, power_kw double precision, UNIQUE (device_id, ts))`,
  `INSERT INTO ${table} SELECT now() - i * interval '10 minutes', 'meter1', i % 7 FROM generate_series(0, ${
    ROWS - 1
  }) i`,
];

/** Reads the table's stats until `ready` holds; the scheduler runs on its own 5 s clock. */
async function statsWhen(
  timescale: TimescaleService,
  table: string,
  ready: (t: HypertableStats) => boolean,
  timeoutMs = 60_000,
): Promise<HypertableStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = (await timescale.forEntity(entity(table))).tables[0];
    if (t.error) throw new Error(t.error);
    if (ready(t)) return t;
    if (Date.now() > deadline)
      throw new Error(`timed out; last stats: ${JSON.stringify(t)}`);
    await new Promise(r => setTimeout(r, 1000));
  }
}

describe('the TimescaleDB tab tells the truth (PGlite)', () => {
  const { databases, timescale } = service(infra.timescaleUrl);
  const fresh = `${schema}.fresh`;
  const policies = `${schema}.policies`;
  const failing = `${schema}.meter_offline`;

  beforeAll(
    () =>
      sql(infra.timescaleUrl, [
        `CREATE SCHEMA ${schema}`,
        // Never analysed, aggregate never refreshed, no policies: the state right after the sink's migrations.
        ...createReadings(fresh),
        `SELECT create_hypertable('${fresh}', 'ts', chunk_time_interval => interval '1 day', migrate_data => true)`,
        `CREATE MATERIALIZED VIEW ${fresh}_hourly WITH (timescaledb.continuous) AS
           SELECT time_bucket('1 hour', ts) AS bucket, device_id, avg(power_kw) AS power_kw_avg FROM ${fresh} GROUP BY 1, 2 WITH NO DATA`,
        // Policies only: whatever is compressed or refreshed here, the scheduler did.
        ...createReadings(policies),
        `SELECT create_hypertable('${policies}', 'ts', chunk_time_interval => interval '1 day', migrate_data => true)`,
        `ALTER TABLE ${policies} SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id')`,
        `SELECT add_compression_policy('${policies}', interval '2 days')`,
        // An aggregate whose refresh cannot succeed: every seventh reading is 3 kW.
        `CREATE MATERIALIZED VIEW ${failing} WITH (timescaledb.continuous) AS
           SELECT time_bucket('1 hour', ts) AS bucket, device_id, avg(1.0 / (power_kw - 3)) AS inverse FROM ${policies} GROUP BY 1, 2 WITH NO DATA`,
        `SELECT add_continuous_aggregate_policy('${failing}', start_offset => interval '10 days', end_offset => interval '1 hour', schedule_interval => interval '1 hour')`,
      ]),
    120_000,
  );
  afterAll(async () => {
    await databases.close();
    await sql(infra.timescaleUrl, [`DROP SCHEMA ${schema} CASCADE`]).catch(
      () => undefined,
    );
  }, 60_000);

  it('says an aggregate is not materialised yet, with how many rows are real-time only, and counts rows exactly before any ANALYZE', async () => {
    const t = (await timescale.forEntity(entity(fresh))).tables[0];
    expect(t.error).toBeUndefined();
    expect(t.rows).toEqual({ count: ROWS, kind: 'exact' });
    const [hourly] = t.continuousAggregates!;
    expect(hourly).toMatchObject({
      name: 'fresh_hourly',
      materialized: false,
      watermark: null,
    });
    expect(hourly.pendingRows).toEqual({ count: ROWS, kind: 'exact' });
    expect(Date.parse(hourly.pendingSince!)).toBeLessThan(
      Date.now() - 4 * 86_400_000,
    );

    // Up to the newest row's hour, read from the table: had the clock passed an hour
    // since the insert, refreshing up to now() would leave nothing pending.
    const { hour } = await firstRow(
      infra.timescaleUrl,
      `SELECT date_trunc('hour', max(ts))::text AS hour FROM ${fresh}`,
    );
    await sql(infra.timescaleUrl, [
      `CALL refresh_continuous_aggregate('${fresh}_hourly', NULL, '${hour}'::timestamptz)`,
    ]);
    const after = (await timescale.forEntity(entity(fresh))).tables[0]
      .continuousAggregates![0];
    expect(after.materialized).toBe(true);
    expect(Date.parse(after.watermark!)).toBeGreaterThan(
      Date.now() - 2 * 3_600_000,
    );
    // Only the current hour's rows (at most six) are past the watermark.
    expect(after.pendingRows!.kind).toBe('exact');
    expect(after.pendingRows!.count).toBeGreaterThanOrEqual(1);
    expect(after.pendingRows!.count).toBeLessThanOrEqual(6);
  }, 60_000);

  it("shows a real compression ratio once the compression policy ran on its own, and a failed job's error text", async () => {
    const t = await statsWhen(
      timescale,
      policies,
      s =>
        Boolean(s.compression?.ratio) &&
        Boolean(s.jobs?.some(j => j.lastError)),
    );
    const compression = t.jobs!.find(j => j.procName === 'policy_compression')!;
    expect(compression).toMatchObject({
      lastRunStatus: 'Success',
      totalRuns: 1,
      totalFailures: 0,
      lastError: null,
    });
    expect(Date.parse(compression.lastSuccessfulFinish!)).toBeGreaterThan(
      Date.now() - 120_000,
    );
    expect(Date.parse(compression.nextStart!)).toBeGreaterThan(
      Date.now() + 11 * 3_600_000,
    );
    expect(t.compression!.compressedChunks).toBeGreaterThanOrEqual(2);
    expect(t.compression!.ratio).toBeGreaterThan(0);
    expect(t.compression!.beforeBytes).toBeGreaterThan(0);

    const failed = t.jobs!.find(j => j.target === 'meter_offline')!;
    expect(failed).toMatchObject({
      procName: 'policy_refresh_continuous_aggregate',
      lastRunStatus: 'Failed',
      totalFailures: 1,
    });
    expect(failed.lastError!.message).toBe('division by zero');
    expect(Date.parse(failed.lastError!.at!)).toBeGreaterThan(
      Date.now() - 120_000,
    );
  }, 90_000);

  it("shows the sink's replays and write conflicts when it keeps them, and nothing when it does not", async () => {
    expect(
      (await timescale.forEntity(entity(fresh))).tables[0].writeConflicts,
    ).toBeUndefined();
    await sql(infra.timescaleUrl, [
      `CREATE TABLE ${schema}.streaming_sink_conflicts (hypertable text PRIMARY KEY, replays bigint, conflicts bigint, last_conflict_at timestamptz, last_conflict jsonb)`,
      `INSERT INTO ${schema}.streaming_sink_conflicts VALUES
         ('fresh', 12, 2, now() - interval '1 minute', '{"device_id": "meter1", "ts": "2026-01-03T16:00:00Z", "stored": {"power_kw": 3.2}, "incoming": {"power_kw": 3.3}}')`,
    ]);
    const [f, p] = (await timescale.forEntity(entity(fresh, policies))).tables;
    expect(f.writeConflicts).toMatchObject({
      replays: 12,
      conflicts: 2,
      lastConflict: { device_id: 'meter1' },
    });
    expect(Date.parse(f.writeConflicts!.lastConflictAt!)).toBeGreaterThan(
      Date.now() - 5 * 60_000,
    );
    // The table is there but has no row for this hypertable yet: zero, not absent.
    expect(p.writeConflicts).toEqual({
      replays: 0,
      conflicts: 0,
      lastConflictAt: null,
      lastConflict: null,
    });
  }, 60_000);
});

describe('row counts on plain PostgreSQL', () => {
  const db = ownDatabase(infra.databaseUrl, 'truth');
  const { databases, timescale } = service(db.url, 2);
  const table = `readings_${id}`;

  beforeAll(async () => {
    await db.create();
    await sql(db.url, createReadings(table));
  }, 60_000);
  afterAll(async () => {
    await databases.close();
    await db.drop();
  }, 30_000);

  it('counts a small table exactly, before and after ANALYZE', async () => {
    const before = (await timescale.forEntity(entity(table))).tables[0];
    expect(before.rows).toEqual({ count: ROWS, kind: 'exact' });
    await sql(db.url, [`ANALYZE ${table}`]);
    const after = (await timescale.forEntity(entity(table))).tables[0];
    expect(after.rowEstimate).toBe(ROWS);
    expect(after.rows).toEqual({ count: ROWS, kind: 'exact' });
  }, 30_000);
});
