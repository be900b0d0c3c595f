import { Client } from 'pg';
import { testInfra } from '../testInfra';
import { unique } from '@homelab/test-kit';
import { startTimescale } from './server';

jest.setTimeout(120_000);

describe('TimescaleDB in PGlite (shared instance, over the pg wire protocol)', () => {
  const client = new Client({ connectionString: testInfra().timescaleUrl });
  const table = unique('readings').replace(/-/g, '_');
  const hourly = `${table}_hourly`;

  beforeAll(() => client.connect());
  afterAll(() => client.end());

  it('runs hypertables, continuous aggregates and compression, and reports them in timescaledb_information', async () => {
    const { rows: ext } = await client.query(
      "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
    );
    expect(ext[0].extversion).toMatch(/^2\./);

    await client.query(
      `CREATE TABLE ${table} (ts timestamptz NOT NULL, device_id text NOT NULL, power_kw double precision, UNIQUE (device_id, ts))`,
    );
    await client.query(
      `SELECT create_hypertable('${table}', 'ts', chunk_time_interval => interval '1 day')`,
    );
    // Three days of minute readings from two meters: three chunks.
    const inserted = await client.query(
      `INSERT INTO ${table} (ts, device_id, power_kw)
       SELECT t, d, 1 + extract(hour FROM t) / 10.0
       FROM generate_series(timestamptz '2026-01-01 00:00Z', timestamptz '2026-01-03 23:59Z', interval '1 minute') AS t,
            unnest(ARRAY['meter1', 'meter2']) AS d`,
    );
    expect(inserted.rowCount).toBe(3 * 24 * 60 * 2);

    // Created empty, then refreshed as its own statement: refresh cannot run inside a transaction.
    await client.query(
      `CREATE MATERIALIZED VIEW ${hourly} WITH (timescaledb.continuous) AS
       SELECT time_bucket('1 hour', ts) AS bucket, device_id, avg(power_kw) AS avg_kw, count(*) AS n
       FROM ${table} GROUP BY bucket, device_id WITH NO DATA`,
    );
    await client.query(
      `CALL refresh_continuous_aggregate('${hourly}', NULL, NULL)`,
    );
    const { rows: buckets } = await client.query(
      `SELECT count(*)::int AS buckets, sum(n)::int AS readings FROM ${hourly}`,
    );
    expect(buckets[0]).toEqual({
      buckets: 3 * 24 * 2,
      readings: 3 * 24 * 60 * 2,
    });

    await client.query(
      `ALTER TABLE ${table} SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id')`,
    );
    const { rows: compressed } = await client.query(
      `SELECT compress_chunk(c) AS chunk FROM show_chunks('${table}', older_than => timestamptz '2026-01-02 00:00Z') AS c`,
    );
    expect(compressed).toHaveLength(1);

    const { rows: hypertables } = await client.query(
      'SELECT num_chunks::int, compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_name = $1',
      [table],
    );
    expect(hypertables).toEqual([{ num_chunks: 3, compression_enabled: true }]);

    const { rows: aggregates } = await client.query(
      'SELECT hypertable_name, materialized_only FROM timescaledb_information.continuous_aggregates WHERE view_name = $1',
      [hourly],
    );
    expect(aggregates).toHaveLength(1);
    expect(aggregates[0].hypertable_name).toBe(table);

    const { rows: chunks } = await client.query(
      'SELECT range_start, is_compressed FROM timescaledb_information.chunks WHERE hypertable_name = $1 ORDER BY range_start',
      [table],
    );
    expect(chunks.map(c => c.is_compressed)).toEqual([true, false, false]);

    const { rows: stats } = await client.query(
      `SELECT * FROM hypertable_compression_stats('${table}')`,
    );
    expect(stats[0]).toMatchObject({
      total_chunks: '3',
      number_compressed_chunks: '1',
    });
    expect(Number(stats[0].after_compression_total_bytes)).toBeGreaterThan(0);

    // Compressed rows still read back through the hypertable.
    const { rows: count } = await client.query(
      `SELECT count(*)::int AS n FROM ${table} WHERE ts < '2026-01-02'`,
    );
    expect(count[0].n).toBe(24 * 60 * 2);
  });
});

describe('startTimescale', () => {
  it('serves TimescaleDB and keeps data and features across restart()', async () => {
    const server = await startTimescale();
    try {
      expect(server.url).toBe(
        `postgres://postgres:postgres@127.0.0.1:${server.port}/postgres`,
      );
      const run = async (sql: string) => {
        const client = new Client({ connectionString: server.url });
        await client.connect();
        try {
          return (await client.query(sql)).rows;
        } finally {
          await client.end();
        }
      };
      await run(
        "CREATE TABLE kept (ts timestamptz NOT NULL, v int); SELECT create_hypertable('kept', 'ts'); INSERT INTO kept VALUES (now(), 42)",
      );
      await server.restart();
      expect(await run('SELECT v FROM kept')).toEqual([{ v: 42 }]);
      // The reopened data dir must still have TimescaleDB's licensed features.
      await run(
        "CREATE MATERIALIZED VIEW kept_hourly WITH (timescaledb.continuous) AS SELECT time_bucket('1 hour', ts) AS bucket, max(v) AS v FROM kept GROUP BY bucket WITH NO DATA",
      );
      await run("CALL refresh_continuous_aggregate('kept_hourly', NULL, NULL)");
      expect(await run('SELECT v FROM kept_hourly')).toEqual([{ v: 42 }]);
      await run(
        "ALTER TABLE kept SET (timescaledb.compress); SELECT compress_chunk(c) FROM show_chunks('kept') c",
      );
    } finally {
      await server.stop();
    }
  });
});
