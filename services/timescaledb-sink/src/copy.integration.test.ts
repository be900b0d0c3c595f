import { testInfra } from '@homelab/infra';
import type { SourceMessage } from './dlq';
import { classifyDbError } from './errors';
import { hypertablesFromConfig } from './hypertable';
import { migrate } from './migrations';
import { createPool, detectWritePath, ReadingsStore } from './store';
import type { ReadingRecord } from './store';
import {
  dropSchema,
  query,
  testCase,
  testLogger,
} from './__testUtils__/harness';
import { canonicalRecord } from '@homelab/test-kit';

jest.setTimeout(120_000);

const infra = testInfra();

/** Readings as delivery.ts hands them to the store (the message is not read). */
const readings = (
  records: ReturnType<typeof canonicalRecord>[],
): ReadingRecord[] =>
  records.map((record, i) => ({
    record,
    message: {
      topic: 'test',
      partition: 0,
      offset: String(i),
      key: null,
      value: Buffer.from(JSON.stringify(record)),
      headers: {},
    } as SourceMessage,
  }));

describe('COPY write path on PostgreSQL', () => {
  const { config, schema } = testCase(infra.kafkaBrokers, infra.databaseUrl, {
    timescale: { mode: 'off' },
  });
  const pool = createPool(config, testLogger());
  const tables = hypertablesFromConfig(config);
  const energy = tables.find(t => t.stream === 'energy')!;
  const temperature = tables.find(t => t.stream === 'temperature')!;
  const store = new ReadingsStore(pool, config, tables);

  beforeAll(async () => {
    await migrate(pool, config, testLogger());
    store.path = (await detectWritePath(pool, 30_000)).path;
  });

  it('finds that PostgreSQL takes COPY', () => {
    expect(store.path).toBe('copy');
  });

  afterAll(async () => {
    await pool.end();
    await dropSchema(infra.databaseUrl, schema);
  });

  it('stores values that COPY text would misread, byte for byte', async () => {
    const hostile = [
      'tab\there',
      'new\nline',
      'carriage\rreturn',
      'back\\slash',
      '\\N',
      '\\.',
      'quote\'s "double"',
      'ünïcødé 🔌',
      'trailing\\',
    ];
    const ts = '2026-02-01T00:00:00.000Z';
    const records = hostile.map(device =>
      canonicalRecord(
        'energy',
        device,
        {
          power_kw: 1.5,
          [`extra\t${device}`]: 7,
        },
        ts,
      ),
    );
    const outcome = await store.writeBulk(energy, readings(records));
    expect(outcome).toMatchObject({ inserted: hostile.length, conflicts: 0 });
    const rows = await query<{
      device_id: string;
      power_kw: number;
      extra: object;
    }>(
      infra.databaseUrl,
      `SELECT device_id, power_kw, extra FROM "${schema}".energy_readings WHERE ts = '${ts}'`,
    );
    expect(rows.map(r => r.device_id).sort()).toEqual([...hostile].sort());
    for (const row of rows) {
      expect(row.power_kw).toBe(1.5);
      expect(row.extra).toEqual({ [`extra\t${row.device_id}`]: 7 });
    }
  });

  it('keeps the first value and counts replays and conflicts, inside a batch and across batches', async () => {
    const ts = '2026-02-02T00:00:00.000Z';
    const first = canonicalRecord('energy', 'meter-c', { power_kw: 1 }, ts);
    const sameAgain = canonicalRecord('energy', 'meter-c', { power_kw: 1 }, ts);
    const other = canonicalRecord('energy', 'meter-c', { power_kw: 2 }, ts);
    const inBatch = await store.writeBulk(
      energy,
      readings([first, sameAgain, other]),
    );
    expect(inBatch).toMatchObject({ inserted: 1, replays: 1, conflicts: 1 });
    const replayed = await store.writeBulk(energy, readings([first, other]));
    expect(replayed).toMatchObject({ inserted: 0, replays: 1, conflicts: 1 });
    expect(replayed.samples[0]).toMatchObject({
      old: { power_kw: 1 },
      new: { power_kw: 2 },
    });
    const [stored] = await query<{ power_kw: number }>(
      infra.databaseUrl,
      `SELECT power_kw FROM "${schema}".energy_readings WHERE device_id = 'meter-c'`,
    );
    expect(stored.power_kw).toBe(1);
    const [counted] = await query<{ replays: string; conflicts: string }>(
      infra.databaseUrl,
      `SELECT replays, conflicts FROM "${schema}".streaming_sink_conflicts WHERE hypertable = 'energy_readings'`,
    );
    expect(counted).toEqual({ replays: '2', conflicts: '2' });
  });

  it('refuses a batch with a value out of range as a record error, stores nothing of it, and the connection stays usable', async () => {
    const ts = Date.parse('2026-02-03T00:00:00.000Z');
    const batch = Array.from({ length: 20 }, (_, i) =>
      canonicalRecord(
        'temperature',
        'thermo',
        {
          temperature_c: i === 13 ? 1e9 : 21.5,
        },
        new Date(ts + i * 1000),
      ),
    );
    const refused = await store.writeBulk(temperature, readings(batch)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((refused as { code?: string }).code).toBe('22003');
    expect(classifyDbError(refused)).toBe('record');
    const none = await query<{ n: number }>(
      infra.databaseUrl,
      `SELECT count(*)::int AS n FROM "${schema}".temperature_readings`,
    );
    expect(none[0].n).toBe(0);
    // The rolled-back staging rows are gone; the next COPY stores its own only.
    const good = batch.filter((_, i) => i !== 13);
    expect(await store.writeBulk(temperature, readings(good))).toMatchObject({
      inserted: 19,
    });
    const stored = await query<{ n: number }>(
      infra.databaseUrl,
      `SELECT count(*)::int AS n FROM "${schema}".temperature_readings`,
    );
    expect(stored[0].n).toBe(19);
  });
});

describe('write path detection on TimescaleDB in PGlite', () => {
  it('chooses statements without trying COPY, and the server keeps answering', async () => {
    const { config } = testCase(infra.kafkaBrokers, infra.timescaleUrl);
    const pool = createPool(config, testLogger());
    try {
      const detected = await detectWritePath(pool, 30_000);
      expect(detected).toEqual({
        path: 'statement',
        reason: expect.stringContaining('PGlite'),
      });
      const rows = await query<{ ok: number }>(
        infra.timescaleUrl,
        'SELECT 1 AS ok',
      );
      expect(rows).toEqual([{ ok: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
