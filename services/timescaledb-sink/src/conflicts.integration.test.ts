/* eslint-disable jest/no-conditional-expect -- replay counts are exact only
   when Kafka did not redeliver a batch, which sinkReplayed() tells; the other
   checks run unconditionally. */
/**
 * Same (device_id, ts) is never silent: distinct timestamps are stored
 * exactly, a collision with other values is counted as a conflict (the first
 * value is kept), an identical replay as a replay; on TimescaleDB and on
 * plain PostgreSQL, in the table the portal reads.
 */
import { testInfra } from '@homelab/infra';
import {
  count,
  produceRecords,
  query,
  sinkReplayed,
  useSinkFixture,
} from './__testUtils__/harness';
import { canonicalRecord, eventually } from '@homelab/test-kit';

jest.setTimeout(180_000);

const infra = testInfra();
const N = 3000;

describe.each([
  ['TimescaleDB (PGlite)', () => infra.timescaleUrl],
  ['plain PostgreSQL', () => infra.databaseUrl],
])('conflicts on %s', (_name, dbUrl) => {
  const f = useSinkFixture(() => infra.kafkaBrokers, dbUrl, {
    batch: { maxRows: 500, maxWaitMs: 100 },
  });
  const { url, topics, schema } = f;
  const base = Date.now() - 3_600_000;

  const tally = async () => {
    const [row] = await query<{
      replays: string;
      conflicts: string;
      last_conflict: unknown;
      last_conflict_at: Date | null;
    }>(
      url,
      `SELECT replays, conflicts, last_conflict, last_conflict_at FROM "${schema}".streaming_sink_conflicts WHERE hypertable = 'energy_readings'`,
    );
    return {
      replays: Number(row?.replays ?? 0),
      conflicts: Number(row?.conflicts ?? 0),
      last: row?.last_conflict,
      at: row?.last_conflict_at,
    };
  };

  it('stores 3,000 readings with distinct device timestamps exactly', async () => {
    const readings = Array.from({ length: N }, (_, seq) =>
      canonicalRecord(
        'energy',
        'distinct',
        { power_kw: seq },
        new Date(base + seq),
      ),
    );
    await produceRecords(f.producer, topics.energy, readings);
    await eventually(
      `${N} rows`,
      async () => (await count(url, schema, 'energy_readings')) === N,
      { timeoutMs: 60_000 },
    );
    const [row] = await query<{ n: string; s: string }>(
      url,
      `SELECT count(DISTINCT power_kw) AS n, sum(power_kw)::bigint AS s FROM "${schema}".energy_readings`,
    );
    expect(Number(row.n)).toBe(N);
    expect(Number(row.s)).toBe(((N - 1) * N) / 2);
    const t = await tally();
    expect(t.conflicts).toBe(0);
    if (!(await sinkReplayed(f.sink))) expect(t.replays).toBe(0);
  });

  it('counts every collision with other values, keeps the first value, and records the last one', async () => {
    // 3,000 readings, three to a millisecond: what a burst stamped at
    // receive time looks like.
    const readings = Array.from({ length: N }, (_, seq) =>
      canonicalRecord(
        'energy',
        'burst',
        {
          power_kw: seq,
        },
        new Date(base + Math.floor(seq / 3)),
      ),
    );
    await produceRecords(f.producer, topics.energy, readings);
    const before = await tally();
    await eventually(
      'every collision counted',
      async () => (await tally()).conflicts >= (N * 2) / 3,
      { timeoutMs: 60_000 },
    );
    expect(await count(url, schema, 'energy_readings')).toBe(N + N / 3);
    const [kept] = await query<{ n: string; wrong: string }>(
      url,
      `SELECT count(*) AS n, count(*) FILTER (WHERE power_kw::int % 3 <> 0) AS wrong
       FROM "${schema}".energy_readings WHERE device_id = 'burst'`,
    );
    expect(kept).toEqual({ n: String(N / 3), wrong: '0' });
    const t = await tally();
    if (!(await sinkReplayed(f.sink))) {
      expect(t.conflicts).toBe((N * 2) / 3);
      expect(t.replays).toBe(before.replays);
    }
    expect(t.at).toBeInstanceOf(Date);
    expect(t.last).toEqual({
      device_id: 'burst',
      ts: expect.any(String),
      old: { power_kw: N - 3 },
      new: { power_kw: N - 1 },
    });
    expect(Date.parse((t.last as { ts: string }).ts)).toBe(
      base + Math.floor((N - 1) / 3),
    );
    // The metric follows the offset commit, a moment after the rows.
    await eventually(
      'the metric to count them all',
      async () =>
        (
          await f.sink.metrics.registry.getSingleMetricAsString(
            'timescaledb_sink_conflicts_total',
          )
        ).includes(
          `timescaledb_sink_conflicts_total{table="energy_readings"} ${t.conflicts}`,
        ),
      { timeoutMs: 60_000 },
    );
  });

  it('counts an identical replay as a replay and changes nothing', async () => {
    const readings = Array.from({ length: 100 }, (_, seq) =>
      canonicalRecord(
        'energy',
        'distinct',
        { power_kw: seq },
        new Date(base + seq),
      ),
    );
    const before = await tally();
    await produceRecords(f.producer, topics.energy, readings);
    await eventually(
      '100 replays counted',
      async () => (await tally()).replays >= before.replays + 100,
      { timeoutMs: 60_000 },
    );
    const t = await tally();
    expect(t.conflicts).toBe(before.conflicts);
    if (!(await sinkReplayed(f.sink)))
      expect(t.replays).toBe(before.replays + 100);
    expect(await count(url, schema, 'energy_readings')).toBe(N + N / 3);
  });
});
