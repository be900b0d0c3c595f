import {
  quoteIdent,
  type CanonicalRecord,
  type StreamName,
} from '@homelab/pipeline-contracts';
import type { SinkConfig } from './config';
import type { SourceMessage } from './dlq';

export interface TypedColumn {
  name: string;
  type: string;
}

/**
 * One readings table as the config declares it: the stream's topic, its
 * table and the fields that get a typed column. Every other field of a record
 * is kept in `extra`.
 */
export interface Hypertable {
  stream: StreamName;
  topic: string;
  schema: string;
  name: string;
  columns: TypedColumn[];
}

/** Double-quotes an identifier (the contracts' quoting); config already restricts names to [a-z0-9_]. */
export const ident = quoteIdent;

export const qualified = (schema: string, name: string) =>
  `${ident(schema)}.${ident(name)}`;

/**
 * A SQL string literal. E'' strings escape the same way whatever
 * standard_conforming_strings says, so no value can end the literal early.
 */
export const literal = (value: string) =>
  /['\\]/.test(value)
    ? `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`
    : `'${value}'`;

export function hypertablesFromConfig(config: SinkConfig): Hypertable[] {
  return Object.entries(config.streams).map(([stream, mapping]) => ({
    stream: stream as StreamName,
    topic: mapping!.topic,
    schema: config.database.schema,
    name: mapping!.table,
    columns: Object.entries(mapping!.columns).map(([name, type]) => ({
      name,
      type,
    })),
  }));
}

export function createTableSql(t: Hypertable): string {
  const typed = t.columns.map(c => `  ${ident(c.name)} ${c.type},\n`).join('');
  return `CREATE TABLE IF NOT EXISTS ${qualified(t.schema, t.name)} (
  ts timestamptz NOT NULL,
  device_id text NOT NULL,
${typed}  extra jsonb,
  received_at timestamptz NOT NULL,
  CONSTRAINT ${ident(`${t.name}_device_ts_key`)} UNIQUE (device_id, ts)
)`;
}

/** Lets a config that gained a field keep its table. */
export function addColumnsSql(t: Hypertable): string[] {
  return t.columns.map(
    c =>
      `ALTER TABLE ${qualified(
        t.schema,
        t.name,
      )} ADD COLUMN IF NOT EXISTS ${ident(c.name)} ${c.type}`,
  );
}

export function timeIndexSql(t: Hypertable): string {
  return `CREATE INDEX IF NOT EXISTS ${ident(
    `${t.name}_ts_idx`,
  )} ON ${qualified(t.schema, t.name)} (ts DESC)`;
}

function unnestSources(arrays: string[], types: string[]): string {
  return arrays.map((a, i) => `${literal(a)}::${types[i]}[]`).join(',\n  ');
}

function unnestInsert(
  target: string,
  columns: string[],
  types: string[],
  arrays: string[],
): string {
  return `INSERT INTO ${target} (${columns.map(ident).join(', ')})
SELECT * FROM unnest(
  ${unnestSources(arrays, types)})
ON CONFLICT DO NOTHING`;
}

/** Where each hypertable's replays and conflicts are counted; the portal reads it. */
export const CONFLICTS_TABLE = 'streaming_sink_conflicts';

export function createConflictsTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, CONFLICTS_TABLE)} (
  hypertable text PRIMARY KEY,
  replays bigint NOT NULL DEFAULT 0,
  conflicts bigint NOT NULL DEFAULT 0,
  last_conflict_at timestamptz,
  last_conflict jsonb
)`;
}

/**
 * A row's values as the record's `fields` object: the typed columns that are
 * set, merged with `extra`. jsonb compares numbers by value, so 1 and 1.0 are
 * the same reading. jsonb_build_object takes at most 100 arguments, hence the
 * groups of 40 columns.
 */
function fieldsJson(alias: string, columns: TypedColumn[]): string {
  const groups: string[] = [];
  for (let i = 0; i < columns.length; i += 40) {
    const pairs = columns
      .slice(i, i + 40)
      .map(c => `${literal(c.name)}, ${alias}.${ident(c.name)}`)
      .join(', ');
    groups.push(`jsonb_build_object(${pairs})`);
  }
  const typed = groups.length ? groups.join(' || ') : `'{}'::jsonb`;
  return `(jsonb_strip_nulls(${typed}) || coalesce(${alias}.extra, '{}'::jsonb))`;
}

/** The readings table's columns in the order every write path uses. */
function readingColumns(t: Hypertable): { list: string; types: string[] } {
  return {
    list: [
      'ts',
      'device_id',
      'received_at',
      ...t.columns.map(c => ident(c.name)),
      'extra',
    ].join(', '),
    types: [
      'timestamptz',
      'text',
      'timestamptz',
      ...t.columns.map(c => c.type),
      'jsonb',
    ],
  };
}

/**
 * One statement per batch: every column travels as one array and UNNEST
 * turns them back into rows, so 5,000 records cost one round trip and one
 * plan. (With COPY, the rows come from a staging table instead; see
 * stagedInsertStatement and store.ts.)
 *
 * Same (device_id, ts) twice is never silent. The first value stored wins
 * (keep-first): a replay after a crash never rewrites a row, and the result
 * does not depend on which of two overlapping sink instances commits last.
 * Every later record with that key is compared with the stored value (or,
 * inside one batch, with the first one): equal is a replay, different is a
 * conflict. Both are counted in the conflicts table by the same statement, so
 * the counts commit, or roll back, with the rows. The statement answers one
 * row: inserted, replays, conflicts, and the last `samples` conflicts as
 * `{device_id, ts, old, new}` for the log (the counts are always complete).
 *
 * The arrays are inlined as literals rather than bound as parameters so the
 * whole write is a single simple-protocol message: PostgreSQL runs it as one
 * implicit transaction, and PGlite's socket server, which interleaves the
 * Parse/Bind/Execute messages of concurrent connections on its one session,
 * cannot split it.
 */
export function insertStatement(
  t: Hypertable,
  records: CanonicalRecord[],
  samples = 10,
): string {
  const { list, types } = readingColumns(t);
  return mergeStatement(
    t,
    `unnest(
  ${unnestSources(insertArrays(t, records), types)})
  WITH ORDINALITY AS u(${list}, n)`,
    samples,
  );
}

/** The per-connection temporary table COPY fills, one per readings table. */
export const stagingTable = (t: Hypertable) => `sink_stage_${t.name}`;

/**
 * The staging table has the readings' columns, then `n`, the record's place
 * in the batch (what WITH ORDINALITY gives the UNNEST path). No constraints:
 * duplicates and conflicts are sorted out by the merge. Temporary tables are
 * not WAL-logged, and ON COMMIT DELETE ROWS empties it at each commit.
 */
export function createStagingSql(t: Hypertable): string {
  const { types } = readingColumns(t);
  const names = [
    'ts',
    'device_id',
    'received_at',
    ...t.columns.map(c => ident(c.name)),
    'extra',
  ];
  const cols = names.map((c, i) => `${c} ${types[i]}`).join(', ');
  return `CREATE TEMPORARY TABLE IF NOT EXISTS ${ident(
    stagingTable(t),
  )} (${cols}, n bigint) ON COMMIT DELETE ROWS`;
}

export function copyStagingSql(t: Hypertable): string {
  return `COPY pg_temp.${ident(stagingTable(t))} (${
    readingColumns(t).list
  }, n) FROM STDIN`;
}

/** COPY straight into the readings table: the fast path for a batch of new keys. */
export function copyDirectSql(t: Hypertable): string {
  return `COPY ${qualified(t.schema, t.name)} (${
    readingColumns(t).list
  }) FROM STDIN`;
}

/** insertStatement's merge, reading the rows COPY put in the staging table. */
export function stagedInsertStatement(t: Hypertable, samples = 10): string {
  return mergeStatement(t, `pg_temp.${ident(stagingTable(t))} AS u`, samples);
}

/**
 * The merge behind both write paths. `source` yields the readings' columns
 * then `n`. Conflict detection only looks at the rows the INSERT did not
 * take (an anti-join with its RETURNING, in memory): on the common path,
 * where every row is new, the table's index is probed once per row (by the
 * INSERT), not twice. Every part of the statement sees the snapshot from
 * before the INSERT, so `s` holds only rows stored earlier.
 */
function mergeStatement(t: Hypertable, source: string, samples: number) {
  const { list } = readingColumns(t);
  const table = qualified(t.schema, t.name);
  const conflicts = qualified(t.schema, CONFLICTS_TABLE);
  const differs = 'old IS DISTINCT FROM new';
  return `WITH incoming AS (
  SELECT u.*, row_number() OVER (PARTITION BY u.device_id, u.ts ORDER BY u.n) AS k
  FROM ${source}
), inserted AS (
  INSERT INTO ${table} (${list})
  SELECT ${list} FROM incoming WHERE k = 1 ORDER BY n
  ON CONFLICT (device_id, ts) DO NOTHING
  RETURNING device_id, ts
), missed AS (
  SELECT r.* FROM incoming r
  WHERE r.k > 1 OR NOT EXISTS (
    SELECT 1 FROM inserted i WHERE i.device_id = r.device_id AND i.ts = r.ts)
), compared AS (
  SELECT r.n, r.device_id, r.ts,
    CASE WHEN s.device_id IS NOT NULL
      THEN ${fieldsJson('s', t.columns)}
      ELSE ${fieldsJson('f', t.columns)} END AS old,
    ${fieldsJson('r', t.columns)} AS new
  FROM missed r
  LEFT JOIN ${table} s ON s.device_id = r.device_id AND s.ts = r.ts
  LEFT JOIN incoming f ON f.device_id = r.device_id AND f.ts = r.ts AND f.k = 1
  WHERE s.device_id IS NOT NULL OR r.k > 1
), tally AS (
  SELECT count(*) FILTER (WHERE NOT (${differs})) AS replays,
    count(*) FILTER (WHERE ${differs}) AS conflicts,
    (SELECT jsonb_agg(jsonb_build_object('device_id', c.device_id, 'ts', c.ts, 'old', c.old, 'new', c.new) ORDER BY c.n)
     FROM (SELECT * FROM compared WHERE ${differs} ORDER BY n DESC LIMIT ${Math.max(
    1,
    samples,
  )}) c) AS samples
  FROM compared
), counted AS (
  INSERT INTO ${conflicts} AS c (hypertable, replays, conflicts, last_conflict_at, last_conflict)
  SELECT ${literal(t.name)}, replays, conflicts,
    CASE WHEN conflicts > 0 THEN now() END, samples -> -1
  FROM tally WHERE replays + conflicts > 0
  ON CONFLICT (hypertable) DO UPDATE SET
    replays = c.replays + EXCLUDED.replays,
    conflicts = c.conflicts + EXCLUDED.conflicts,
    last_conflict_at = coalesce(EXCLUDED.last_conflict_at, c.last_conflict_at),
    last_conflict = coalesce(EXCLUDED.last_conflict, c.last_conflict)
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted)::int AS inserted,
  replays::int AS replays, conflicts::int AS conflicts, samples,
  (SELECT count(*) FROM counted)::int AS counted
FROM tally`;
}

/** COPY's text format: a backslash, tab, newline or CR inside a value is escaped. */
function copyValue(v: string): string {
  return /[\\\t\n\r]/.test(v)
    ? v
        .replace(/\\/g, '\\\\')
        .replace(/\t/g, '\\t')
        .replace(/\n/g, '\\n')
        .replace(/\r/g, '\\r')
    : v;
}

/**
 * The batch as COPY text rows for the staging table, in copyStagingSql's
 * column order (without `ordinal`, the readings table's, for copyDirectSql). A missing typed field is \N (NULL); fields without a typed
 * column go to `extra` as JSON, exactly as insertArrays does.
 */
export function copyRows(
  t: Hypertable,
  records: CanonicalRecord[],
  ordinal = true,
): string {
  const typedNames = new Set(t.columns.map(c => c.name));
  const names = t.columns.map(c => c.name);
  let out = '';
  for (let n = 0; n < records.length; n++) {
    const r = records[n];
    let line = `${copyValue(r.ts)}\t${copyValue(r.device_id)}\t${copyValue(
      r.received_at,
    )}`;
    for (const name of names) {
      const v = r.fields[name];
      line += v === undefined || v === null ? '\t\\N' : `\t${v}`;
    }
    let rest: Record<string, number> | undefined;
    for (const k in r.fields) {
      if (!typedNames.has(k)) (rest ??= {})[k] = r.fields[k];
    }
    line += rest ? `\t${copyValue(JSON.stringify(rest))}` : '\t\\N';
    out += ordinal ? `${line}\t${n + 1}\n` : `${line}\n`;
  }
  return out;
}

/**
 * A PostgreSQL array literal. Built here rather than by pg's generic array
 * serializer because a 5,000-row batch has a dozen such arrays and this is
 * several times faster; numbers need no quoting, strings are always quoted.
 */
export function pgArray(values: readonly (string | number | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'number') out += String(v);
    else out += `"${/["\\]/.test(v) ? v.replace(/(["\\])/g, '\\$1') : v}"`;
  }
  return `${out}}`;
}

/** Column-wise array literals for insertStatement, in its column order. */
export function insertArrays(
  t: Hypertable,
  records: CanonicalRecord[],
): string[] {
  const typedNames = new Set(t.columns.map(c => c.name));
  const ts: string[] = [];
  const device: string[] = [];
  const received: string[] = [];
  const typed: (number | null)[][] = t.columns.map(() => []);
  const extra: (string | null)[] = [];
  for (const r of records) {
    ts.push(r.ts);
    device.push(r.device_id);
    received.push(r.received_at);
    t.columns.forEach((c, i) => typed[i].push(r.fields[c.name] ?? null));
    let rest: Record<string, number> | undefined;
    for (const k in r.fields) {
      if (!typedNames.has(k)) (rest ??= {})[k] = r.fields[k];
    }
    extra.push(rest ? JSON.stringify(rest) : null);
  }
  return [ts, device, received, ...typed, extra].map(pgArray);
}

export function createRawArchiveSql(schema: string, table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (
  ts timestamptz NOT NULL,
  topic text NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset bigint NOT NULL,
  device_id text NOT NULL,
  payload jsonb NOT NULL,
  received_at timestamptz NOT NULL,
  CONSTRAINT ${ident(
    `${table}_position_key`,
  )} UNIQUE (topic, kafka_partition, kafka_offset, ts)
)`;
}

/** A decoded record with the Kafka message it came from. */
export interface ReadingRecord {
  record: CanonicalRecord;
  message: SourceMessage;
}

export function rawInsertStatement(
  schema: string,
  table: string,
  items: ReadingRecord[],
): string {
  const arrays = [
    items.map(i => i.record.ts),
    items.map(i => i.message.topic),
    items.map(i => i.message.partition),
    items.map(i => i.message.offset),
    items.map(i => i.record.device_id),
    // Converted only here: without the archive the payload is never copied.
    items.map(i => i.message.value!.toString()),
    items.map(i => i.record.received_at),
  ].map(pgArray);
  return unnestInsert(
    qualified(schema, table),
    [
      'ts',
      'topic',
      'kafka_partition',
      'kafka_offset',
      'device_id',
      'payload',
      'received_at',
    ],
    [
      'timestamptz',
      'text',
      'integer',
      'bigint',
      'text',
      'jsonb',
      'timestamptz',
    ],
    arrays,
  );
}

/**
 * Hourly or daily continuous aggregate: per device and bucket the number of
 * samples and avg/min/max/count of every typed column, named
 * `<column>_avg|_min|_max|_count`.
 */
export function createAggregateSql(
  t: Hypertable,
  view: string,
  bucket: string,
): string {
  const stats = t.columns
    .flatMap(c => [
      `avg(${ident(c.name)}) AS ${ident(`${c.name}_avg`)}`,
      `min(${ident(c.name)}) AS ${ident(`${c.name}_min`)}`,
      `max(${ident(c.name)}) AS ${ident(`${c.name}_max`)}`,
      `count(${ident(c.name)}) AS ${ident(`${c.name}_count`)}`,
    ])
    .map(s => `,\n  ${s}`)
    .join('');
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualified(t.schema, view)}
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL ${literal(bucket)}, ts) AS bucket,
  device_id,
  count(*) AS samples${stats}
FROM ${qualified(t.schema, t.name)}
GROUP BY bucket, device_id
WITH NO DATA`;
}
