/* eslint-disable jest/no-conditional-expect -- each row of the table names
   the outcome it expects (dead letter, stored, conflict or replay), and the
   branch runs the checks of that outcome; exact counts apply only when Kafka
   did not redeliver a batch, which sinkReplayed() tells. */
/**
 * The abuse suite: hostile Kafka records, produced straight to the stream
 * topics, never stall the sink and are never lost silently. After each row
 * the record is either in its table, counted as a replay or a conflict, or in
 * the DLQ with the expected reason class; and a normal reading produced right
 * after it lands in the table.
 */
import {
  DLQ_HEADERS,
  SOURCE_HEADERS,
  StreamName,
} from '@homelab/pipeline-contracts';
import { testInfra } from '@homelab/infra';
import { SINK_DLQ_HEADERS } from './dlq';
import { literal } from './hypertable';
import {
  query,
  randomLetters,
  sinkReplayed,
  useSinkFixture,
} from './__testUtils__/harness';
import { canonicalRecord, eventually } from '@homelab/test-kit';

jest.setTimeout(120_000);

const infra = testInfra();
const TS = '2026-04-01T12:00:00Z';

type Expect =
  | { stored: string }
  | { dead: string; reason: RegExp; attempts?: number; truncated?: boolean }
  | { conflict: true }
  | { replay: true };

interface AbuseCase {
  name: string;
  stream?: StreamName;
  value: string | Buffer | null;
  expect: Expect;
}

const reading = (device: string, fields: Record<string, number>, ts = TS) =>
  JSON.stringify(canonicalRecord('energy', device, fields, ts));

/** A valid record with one part replaced by something hostile. */
const patched = (patch: Record<string, unknown>) =>
  JSON.stringify({
    ...canonicalRecord('energy', 'patched', { power_kw: 1 }, TS),
    ...patch,
  });

const longId = randomLetters(3000);
const manyFields = Object.fromEntries(
  Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i]),
);
let nested: unknown = { leaf: 1 };
for (let i = 0; i < 1000; i++) nested = { n: nested };

const cases: AbuseCase[] = [
  {
    name: 'a normal reading (baseline)',
    value: reading('dup', { power_kw: 1 }),
    expect: { stored: 'dup' },
  },
  {
    name: 'not JSON',
    value: 'this is {not json',
    expect: { dead: 'not-json', reason: /not JSON/ },
  },
  {
    name: 'empty value',
    value: '',
    expect: { dead: 'not-json', reason: /not JSON/ },
  },
  {
    name: 'null value (tombstone)',
    value: null,
    expect: { dead: 'invalid-record', reason: /tombstone/ },
  },
  {
    name: 'missing fields',
    value: patched({ fields: undefined }),
    expect: { dead: 'invalid-record', reason: /^fields/ },
  },
  {
    name: 'wrong type: fields is a string',
    value: patched({ fields: 'power=1' }),
    expect: { dead: 'invalid-record', reason: /^fields/ },
  },
  {
    name: 'string number',
    value: patched({ fields: { power_kw: '1.5' } }),
    expect: { dead: 'invalid-record', reason: /^fields\.power_kw/ },
  },
  {
    name: 'NaN in a string',
    value: patched({ fields: { power_kw: 'NaN' } }),
    expect: { dead: 'invalid-record', reason: /^fields\.power_kw/ },
  },
  {
    name: 'Infinity (1e999)',
    value: patched({ fields: { power_kw: 1 } }).replace(
      '"power_kw":1',
      '"power_kw":1e999',
    ),
    expect: { dead: 'invalid-record', reason: /^fields\.power_kw/ },
  },
  {
    name: 'unknown stream',
    value: patched({ stream: 'water' }),
    expect: { dead: 'invalid-record', reason: /^stream/ },
  },
  {
    name: 'a heat-pump record on the energy topic',
    value: patched({ stream: 'heatpump' }),
    expect: { dead: 'invalid-record', reason: /stream "heatpump"/ },
  },
  {
    name: 'empty device id',
    value: patched({ device_id: '' }),
    expect: { dead: 'invalid-record', reason: /^device_id/ },
  },
  {
    name: 'NUL in the device id',
    value: reading('nul\u0000id', { power_kw: 1 }),
    expect: { dead: 'invalid-record', reason: /NUL/ },
  },
  {
    name: '3,000-letter device id (index row too large)',
    value: reading(longId, { power_kw: 1.5 }),
    expect: { dead: 'db-54000', reason: /index row size/, attempts: 3 },
  },
  {
    name: 'year 0 timestamp (absurd for PostgreSQL)',
    value: reading('year0', { power_kw: 1 }, '0000-01-01T00:00:00Z'),
    expect: { dead: 'db-22008', reason: /out of range/, attempts: 3 },
  },
  {
    name: 'epoch-µs number as ts',
    value: patched({ ts: 1_775_000_000_000_000 }),
    expect: { dead: 'invalid-record', reason: /^ts/ },
  },
  {
    name: 'negative timestamp text',
    value: patched({ ts: '-000001-01-01T00:00:00Z' }),
    expect: { dead: 'invalid-record', reason: /^ts/ },
  },
  {
    name: 'huge value (950 kB), cut in the dead letter',
    value: Buffer.alloc(950_000, 'x'),
    expect: { dead: 'not-json', reason: /not JSON/, truncated: true },
  },
  {
    name: '10,000 fields, kept in extra',
    value: reading('many-fields', { power_kw: 2, ...manyFields }),
    expect: { stored: 'many-fields' },
  },
  {
    name: 'deeply nested unknown property, ignored',
    value: JSON.stringify({
      ...canonicalRecord('energy', 'nested', { power_kw: 3 }, TS),
      extra: nested,
    }),
    expect: { stored: 'nested' },
  },
  {
    name: 'unicode and control characters in the device id',
    value: reading('wärme-\u0007-温度-\u001b[31m', { power_kw: 4 }),
    expect: { stored: 'wärme-\u0007-温度-\u001b[31m' },
  },
  {
    name: 'quotes and backslashes in the device id',
    value: reading(`o'hara\\"}{`, { power_kw: 5 }),
    expect: { stored: `o'hara\\"}{` },
  },
  {
    name: 'numeric overflow of a typed column (22003)',
    stream: 'temperature',
    value: JSON.stringify(
      canonicalRecord('temperature', 'hot', { temperature_c: 1e9 }, TS),
    ),
    expect: { dead: 'db-22003', reason: /numeric field overflow/, attempts: 3 },
  },
  {
    name: 'same device and ts, other values',
    value: reading('dup', { power_kw: 99 }),
    expect: { conflict: true },
  },
  {
    name: 'identical replay',
    value: reading('dup', { power_kw: 1 }),
    expect: { replay: true },
  },
];

const TABLES: Record<string, string> = {
  energy: 'energy_readings',
  temperature: 'temperature_readings',
};

describe.each([
  ['TimescaleDB (PGlite)', () => infra.timescaleUrl],
  ['plain PostgreSQL', () => infra.databaseUrl],
])(
  'abuse on %s: hostile records are stored, counted or dead-lettered, and the sink keeps flowing',
  (_name, dbUrl) => {
    const url = dbUrl();
    const f = useSinkFixture(
      () => infra.kafkaBrokers,
      () => url,
    );
    const { id, topics, config, schema } = f;
    const deadOffsets: string[] = [];
    let stored = 0;

    const rows = async (stream: string, device: string) =>
      Number(
        (
          await query<{ n: string }>(
            url,
            `SELECT count(*) AS n FROM "${schema}".${
              TABLES[stream]
            } WHERE device_id = ${literal(device)}`,
          )
        )[0].n,
      );

    const tally = async () => {
      const [row] = await query<{
        replays: string;
        conflicts: string;
        last_conflict: unknown;
      }>(
        url,
        `SELECT replays, conflicts, last_conflict FROM "${schema}".streaming_sink_conflicts WHERE hypertable = 'energy_readings'`,
      );
      return {
        replays: Number(row?.replays ?? 0),
        conflicts: Number(row?.conflicts ?? 0),
        last: row?.last_conflict,
      };
    };

    it.each(cases.map((c, i) => [c.name, c, i] as const))(
      '%s',
      async (_caseName, c, i) => {
        const stream = c.stream ?? 'energy';
        const topic = topics[stream as keyof typeof topics];
        const before = await tally();
        const [meta] = await f.producer.send({
          topic,
          acks: -1,
          messages: [
            {
              key: `hostile-${i}`,
              value: c.value,
              headers: {
                [SOURCE_HEADERS.mqttTopic]: `homelab/${stream}/hostile-${i}`,
              },
            },
          ],
        });
        const offset = meta.baseOffset!;
        // The pipeline still flows: a normal reading right after lands.
        const after = `after-${i}-${id}`;
        await f.producer.send({
          topic,
          acks: -1,
          messages: [
            {
              key: after,
              value: JSON.stringify(
                canonicalRecord(
                  stream as StreamName,
                  after,
                  stream === 'temperature'
                    ? { temperature_c: 20 }
                    : { power_kw: i },
                  TS,
                ),
              ),
            },
          ],
        });
        await eventually(
          `the normal reading after "${c.name}"`,
          async () => (await rows(stream, after)) === 1,
          { timeoutMs: 60_000 },
        );
        stored++;

        const e = c.expect;
        if ('dead' in e) {
          const letter = await eventually(
            'its dead letter',
            () =>
              f.dlq.seen.find(
                l =>
                  l.headers[DLQ_HEADERS.topic] === topic &&
                  l.headers[DLQ_HEADERS.offset] === offset,
              ),
            { timeoutMs: 60_000 },
          );
          deadOffsets.push(`${topic}:${offset}`);
          expect(letter.key).toBe(`${topic}:0:${offset}`);
          expect(letter.headers[DLQ_HEADERS.errorClass]).toBe(e.dead);
          expect(letter.headers[DLQ_HEADERS.reason]).toMatch(e.reason);
          expect(letter.headers[DLQ_HEADERS.attempts]).toBe(
            String(e.attempts ?? 1),
          );
          expect(letter.headers[DLQ_HEADERS.mqttTopic]).toBe(
            `homelab/${stream}/hostile-${i}`,
          );
          expect(letter.headers[SINK_DLQ_HEADERS.sourceKey]).toBe(
            `hostile-${i}`,
          );
          if (e.truncated) {
            expect(letter.headers[SINK_DLQ_HEADERS.truncated]).toBe('true');
            expect(letter.headers[SINK_DLQ_HEADERS.originalBytes]).toBe(
              String((c.value as Buffer).length),
            );
            expect(letter.value!.length).toBe(config.kafka.dlqMaxValueBytes);
          } else if (c.value !== null) {
            expect(letter.value).toBe(c.value.toString());
          }
        } else if ('stored' in e) {
          expect(await rows(stream, e.stored)).toBe(1);
          stored++;
        } else if ('conflict' in e) {
          // Keep-first: the stored value stays, the conflict is counted with both values.
          const t = await tally();
          expect(t.conflicts).toBe(
            (await sinkReplayed(f.sink))
              ? Math.max(t.conflicts, before.conflicts + 1)
              : before.conflicts + 1,
          );
          expect(t).toMatchObject({
            last: {
              device_id: 'dup',
              old: { power_kw: 1 },
              new: { power_kw: 99 },
            },
          });
          const [row] = await query(
            url,
            `SELECT power_kw FROM "${schema}".energy_readings WHERE device_id = 'dup'`,
          );
          expect(row).toEqual({ power_kw: 1 });
        } else {
          const t = await tally();
          expect(t.conflicts).toBe(before.conflicts);
          expect(t.replays).toBe(
            (await sinkReplayed(f.sink))
              ? Math.max(t.replays, before.replays + 1)
              : before.replays + 1,
          );
        }
      },
    );

    it('holds every record: in a table, counted, or in the DLQ, and nothing else', async () => {
      const [{ n }] = await query<{ n: string }>(
        url,
        `SELECT (SELECT count(*) FROM "${schema}".energy_readings) + (SELECT count(*) FROM "${schema}".temperature_readings) AS n`,
      );
      expect(Number(n)).toBe(stored);
      // No letter for a stored record; a letter twice only after a replay,
      // and then with the same key.
      const letters = f.dlq.seen.map(l => l.key!);
      expect([...new Set(letters)].sort()).toEqual(
        deadOffsets.map(o => o.replace(/:(\d+)$/, ':0:$1')).sort(),
      );
      const t = await tally();
      // The metric follows the offset commit, a moment after the rows.
      await eventually(
        'the conflicts metric',
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
      if (!(await sinkReplayed(f.sink))) {
        expect(letters).toHaveLength(deadOffsets.length);
        expect(t).toMatchObject({ replays: 1, conflicts: 1 });
      }
      expect(f.sink.health()).toMatchObject({
        ready: true,
        details: { partitionsWaitingForDatabase: [] },
      });
    });
  },
);
