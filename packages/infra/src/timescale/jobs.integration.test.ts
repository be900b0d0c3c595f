import { Client } from 'pg';
import { testInfra } from '../testInfra';
import { eventually, unique } from '@homelab/test-kit';

jest.setTimeout(120_000);

describe('TimescaleDB jobs in PGlite (the in-process scheduler)', () => {
  const url = testInfra().timescaleUrl;
  const client = new Client({ connectionString: url });
  const table = unique('jobs').replace(/-/g, '_');
  const failing = `${table}_failing`;

  beforeAll(() => client.connect());
  afterAll(async () => {
    await client.query(
      `SELECT delete_job(job_id) FROM timescaledb_information.jobs WHERE proc_name = $1`,
      [failing],
    );
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`DROP PROCEDURE IF EXISTS ${failing}`);
    await client.end();
  });

  it('runs a compression policy on its schedule and records it in job_stats, and a failing job in job_errors', async () => {
    await client.query(
      `CREATE TABLE ${table} (ts timestamptz NOT NULL, device_id text NOT NULL, power_kw double precision)`,
    );
    await client.query(
      `SELECT create_hypertable('${table}', 'ts', chunk_time_interval => interval '1 day')`,
    );
    await client.query(
      `INSERT INTO ${table} SELECT now() - i * interval '10 minutes', 'meter1', i % 7 FROM generate_series(0, 6 * 24 * 5) i`,
    );
    await client.query(
      `ALTER TABLE ${table} SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id')`,
    );
    const {
      rows: [{ job }],
    } = await client.query(
      `SELECT add_compression_policy('${table}', interval '2 days') AS job`,
    );
    await client.query(
      `CREATE PROCEDURE ${failing}(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'meter offline' USING HINT = 'check the meter'; END $$`,
    );
    const {
      rows: [{ failingJob }],
    } = await client.query(
      `SELECT add_job('${failing}', interval '1 hour') AS "failingJob"`,
    );

    // Other sessions keep querying while jobs run: each gets its own answers.
    const readers = Array.from(
      { length: 3 },
      () => new Client({ connectionString: url }),
    );
    await Promise.all(readers.map(r => r.connect()));
    const stats = await eventually(
      'the compression job to run',
      async () => {
        const answers = await Promise.all(
          readers.map((r, i) =>
            r.query(`SELECT $1::int AS i, count(*)::int AS n FROM ${table}`, [
              i,
            ]),
          ),
        );
        answers.forEach((a, i) =>
          expect(a.rows).toEqual([{ i, n: 6 * 24 * 5 + 1 }]),
        );
        const { rows } = await client.query(
          `SELECT last_run_status, total_runs::int, next_start FROM timescaledb_information.job_stats WHERE job_id = $1`,
          [job],
        );
        return rows[0]?.last_run_status ? rows[0] : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await Promise.all(readers.map(r => r.end()));

    expect(stats.last_run_status).toBe('Success');
    expect(stats.total_runs).toBeGreaterThanOrEqual(1);
    // Next run one schedule interval (12 h for this policy) later.
    expect(new Date(stats.next_start).getTime()).toBeGreaterThan(
      Date.now() + 11 * 3_600_000,
    );
    const { rows: chunks } = await client.query(
      `SELECT count(*) FILTER (WHERE is_compressed)::int AS compressed FROM timescaledb_information.chunks WHERE hypertable_name = $1`,
      [table],
    );
    expect(chunks[0].compressed).toBeGreaterThanOrEqual(2);

    const error = await eventually(
      'the failing job to record its error',
      async () => {
        const { rows } = await client.query(
          `SELECT err_message, proc_name FROM timescaledb_information.job_errors WHERE job_id = $1`,
          [failingJob],
        );
        return rows[0];
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(error).toEqual({
      err_message: 'meter offline. check the meter',
      proc_name: failing,
    });
    const { rows: failed } = await client.query(
      `SELECT last_run_status, total_failures::int, next_start FROM timescaledb_information.job_stats WHERE job_id = $1`,
      [failingJob],
    );
    expect(failed[0]).toMatchObject({
      last_run_status: 'Failed',
      total_failures: 1,
    });
    // Retried after its retry period, not at once.
    expect(new Date(failed[0].next_start).getTime()).toBeGreaterThan(
      Date.now(),
    );
  });
});
