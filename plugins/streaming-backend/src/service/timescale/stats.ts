import { quoteIdent } from '@homelab/plugin-streaming-common';
import type { Pool } from 'pg';
import type {
  ContinuousAggregateInfo,
  HypertableStats,
  JobInfo,
  RowCount,
} from '@homelab/plugin-streaming-common';
import { DatabaseFeatures, ResolvedTable, timeColumn } from './catalog';

/** An ISO time, or null for NULL and for ±infinity (which pg hands over as ±Infinity). */
const iso = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  const t = new Date(v as string);
  return Number.isFinite(t.getTime()) ? t.toISOString() : null;
};

/**
 * Up to this many rows are counted exactly; a bigger table shows the
 * planner's estimate. count(*) on a few hundred thousand rows is quick even
 * in PGlite, and a bigger one always has an estimate once autovacuum (or a
 * TimescaleDB policy) has analysed it.
 */
export const EXACT_COUNT_LIMIT = 200_000;

/** Counts `FROM … [WHERE …]` exactly, but stops reading at `limit` rows. */
async function boundedCount(
  pool: Pool,
  from: string,
  params: unknown[] = [],
  limit = EXACT_COUNT_LIMIT,
): Promise<RowCount> {
  const { rows } = await pool.query(
    `SELECT count(*) AS n FROM (SELECT 1 FROM ${from} LIMIT ${
      limit + 1
    }) capped`,
    params,
  );
  const n = Number(rows[0].n);
  return n > limit
    ? { count: limit, kind: 'at-least' }
    : { count: n, kind: 'exact' };
}

/**
 * The planner's estimate when it is big enough to trust and worth saving a
 * scan; an exact count otherwise. `approximate_row_count` and `reltuples`
 * say 0 or -1 until the first ANALYZE, which is why the tab once showed
 * "0 rows" beside hundreds ingested.
 */
async function rowCount(
  pool: Pool,
  table: ResolvedTable,
  estimate: number | null,
): Promise<RowCount> {
  if (estimate !== null && estimate >= EXACT_COUNT_LIMIT)
    return { count: estimate, kind: 'estimate' };
  return boundedCount(pool, table.quoted);
}
const num = (v: unknown): number | null =>
  v === null || v === undefined ? null : Number(v);

export interface HypertableInfo {
  timeDimension?: string;
  compressionEnabled: boolean;
}

export async function hypertableInfo(
  pool: Pool,
  table: ResolvedTable,
): Promise<HypertableInfo | undefined> {
  const { rows } = await pool.query(
    `SELECT h.compression_enabled,
            (SELECT d.column_name FROM timescaledb_information.dimensions d
              WHERE d.hypertable_schema = h.hypertable_schema AND d.hypertable_name = h.hypertable_name
                AND d.dimension_type = 'Time' ORDER BY d.dimension_number LIMIT 1) AS time_dimension
       FROM timescaledb_information.hypertables h
      WHERE h.hypertable_schema = $1 AND h.hypertable_name = $2`,
    [table.schema, table.name],
  );
  if (!rows.length) return undefined;
  return {
    compressionEnabled: Boolean(rows[0].compression_enabled),
    timeDimension: rows[0].time_dimension ?? undefined,
  };
}

async function plainSizes(pool: Pool, table: ResolvedTable) {
  const { rows } = await pool.query(
    `SELECT pg_relation_size(c.oid) AS table_bytes,
            pg_indexes_size(c.oid) AS index_bytes,
            COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0) AS toast_bytes,
            pg_total_relation_size(c.oid) AS total_bytes,
            -- reltuples is what ANALYZE measured (-1 before the first one); n_live_tup only
            -- fills that gap, as it drifts when inserts are flushed after an ANALYZE.
            CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE s.n_live_tup END AS row_estimate
       FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE c.oid = to_regclass($1)`,
    [`${table.quoted}`],
  );
  const r = rows[0];
  const rowEstimate =
    r.row_estimate === null ? null : Math.round(Number(r.row_estimate));
  return {
    sizes: {
      tableBytes: Number(r.table_bytes),
      indexBytes: Number(r.index_bytes),
      toastBytes: Number(r.toast_bytes),
      totalBytes: Number(r.total_bytes),
    },
    rowEstimate,
    rows: await rowCount(pool, table, rowEstimate),
  };
}

async function timescaleSizes(pool: Pool, table: ResolvedTable) {
  const [size, rows] = await Promise.all([
    pool.query(
      `SELECT table_bytes, index_bytes, toast_bytes, total_bytes FROM hypertable_detailed_size($1::regclass)`,
      [table.quoted],
    ),
    pool.query(`SELECT approximate_row_count($1::regclass) AS n`, [
      table.quoted,
    ]),
  ]);
  const r = size.rows[0] ?? {};
  const rowEstimate = num(rows.rows[0]?.n);
  return {
    sizes: {
      tableBytes: Number(r.table_bytes ?? 0),
      indexBytes: Number(r.index_bytes ?? 0),
      toastBytes: Number(r.toast_bytes ?? 0),
      totalBytes: Number(r.total_bytes ?? 0),
    },
    rowEstimate,
    rows: await rowCount(pool, table, rowEstimate),
  };
}

async function chunksAndCompression(
  pool: Pool,
  table: ResolvedTable,
  info: HypertableInfo,
) {
  const [chunks, compression] = await Promise.all([
    pool.query(
      `SELECT count(*) AS n, min(range_start) AS range_start, max(range_end) AS range_end,
              count(*) FILTER (WHERE is_compressed) AS compressed
         FROM timescaledb_information.chunks WHERE hypertable_schema = $1 AND hypertable_name = $2`,
      [table.schema, table.name],
    ),
    info.compressionEnabled
      ? pool.query(
          `SELECT before_compression_total_bytes AS before, after_compression_total_bytes AS after
             FROM hypertable_compression_stats($1::regclass)`,
          [table.quoted],
        )
      : Promise.resolve({ rows: [] as any[] }),
  ]);
  const c = chunks.rows[0];
  const before = num(compression.rows[0]?.before);
  const after = num(compression.rows[0]?.after);
  return {
    chunks: {
      count: Number(c.n),
      rangeStart: iso(c.range_start),
      rangeEnd: iso(c.range_end),
    },
    compression: {
      enabled: info.compressionEnabled,
      compressedChunks: Number(c.compressed),
      totalChunks: Number(c.n),
      beforeBytes: before,
      afterBytes: after,
      ratio: before !== null && after ? before / after : null,
    },
  };
}

interface Aggregate extends ContinuousAggregateInfo {
  schema: string;
  materializationSchema: string;
  materializationName: string;
}

export async function continuousAggregates(
  pool: Pool,
  table: ResolvedTable,
  ts?: string,
): Promise<Aggregate[]> {
  const { rows } = await pool.query(
    `SELECT view_schema, view_name, materialized_only,
            materialization_hypertable_schema AS mat_schema, materialization_hypertable_name AS mat_name
       FROM timescaledb_information.continuous_aggregates
      WHERE hypertable_schema = $1 AND hypertable_name = $2 ORDER BY view_name`,
    [table.schema, table.name],
  );
  const aggregates: Aggregate[] = [];
  for (const r of rows) {
    const watermark = await aggregateWatermark(pool, r.mat_schema, r.mat_name);
    aggregates.push({
      schema: r.view_schema,
      name: r.view_name,
      materializedOnly: Boolean(r.materialized_only),
      materializationSchema: r.mat_schema,
      materializationName: r.mat_name,
      ...watermark,
      ...(watermark.materialized === undefined || !ts
        ? {}
        : await pending(pool, table, ts, watermark.watermark)),
    });
  }
  return aggregates;
}

/** The raw rows an aggregate has not materialised: everything at or after the watermark. */
async function pending(
  pool: Pool,
  table: ResolvedTable,
  ts: string,
  watermark: string | null,
) {
  const t = quoteIdent(ts);
  const where = watermark ? ` WHERE ${t} >= $1` : '';
  const params = watermark ? [watermark] : [];
  const [count, oldest] = await Promise.all([
    boundedCount(pool, `${table.quoted}${where}`, params),
    pool.query(
      `SELECT min(${t}) AS oldest FROM ${table.quoted}${where}`,
      params,
    ),
  ]);
  return { pendingRows: count, pendingSince: iso(oldest.rows[0]?.oldest) };
}

/**
 * The watermark is internal API (`_timescaledb_functions` since 2.12,
 * `_timescaledb_internal` before); a missing function means "unknown", not an
 * error. Before the first refresh it is TimescaleDB's minimum time
 * (4714-11-24 BC), which means "nothing materialised", not a date.
 */
async function aggregateWatermark(
  pool: Pool,
  schema: string,
  name: string,
): Promise<{ watermark: string | null; materialized?: boolean }> {
  for (const fns of ['_timescaledb_functions', '_timescaledb_internal']) {
    try {
      const { rows } = await pool.query(
        `SELECT w.watermark, w.watermark < timestamptz '0001-01-01 00:00Z' AS unmaterialized
           FROM (SELECT ${fns}.to_timestamp(${fns}.cagg_watermark(h.id)) AS watermark
                   FROM _timescaledb_catalog.hypertable h WHERE h.schema_name = $1 AND h.table_name = $2) w`,
        [schema, name],
      );
      if (!rows.length) return { watermark: null };
      return rows[0].unmaterialized
        ? { watermark: null, materialized: false }
        : { watermark: iso(rows[0].watermark), materialized: true };
    } catch {
      // try the older schema
    }
  }
  return { watermark: null };
}

async function jobs(
  pool: Pool,
  table: ResolvedTable,
  aggregates: Aggregate[],
): Promise<JobInfo[]> {
  const targets = [
    { schema: table.schema, name: table.name, label: table.name },
    ...aggregates.flatMap(a => [
      { schema: a.schema, name: a.name, label: a.name },
      {
        schema: a.materializationSchema,
        name: a.materializationName,
        label: a.name,
      },
    ]),
  ];
  const { rows } = await pool.query(
    `SELECT j.job_id, j.application_name, j.proc_name, j.schedule_interval::text AS schedule_interval,
            j.scheduled, j.hypertable_schema, j.hypertable_name,
            s.last_run_status, s.last_run_started_at, s.last_successful_finish, s.next_start,
            s.total_runs, s.total_failures
       FROM timescaledb_information.jobs j
       LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
      WHERE (j.hypertable_schema, j.hypertable_name) IN (SELECT * FROM unnest($1::text[], $2::text[]))
      ORDER BY j.job_id`,
    [targets.map(t => t.schema), targets.map(t => t.name)],
  );
  const errors = await lastJobErrors(
    pool,
    rows.map(r => Number(r.job_id)),
  );
  return rows.map(r => ({
    jobId: Number(r.job_id),
    lastError: errors.get(Number(r.job_id)) ?? null,
    application: r.application_name,
    procName: r.proc_name,
    scheduleInterval: r.schedule_interval,
    scheduled: Boolean(r.scheduled),
    lastRunStatus: r.last_run_status ?? null,
    lastRunStartedAt: iso(r.last_run_started_at),
    lastSuccessfulFinish: iso(r.last_successful_finish),
    nextStart: iso(r.next_start),
    totalRuns: num(r.total_runs),
    totalFailures: num(r.total_failures),
    target:
      targets.find(
        t => t.schema === r.hypertable_schema && t.name === r.hypertable_name,
      )?.label ?? r.hypertable_name,
  }));
}

/**
 * The newest `job_errors` entry per job. The view exists since TimescaleDB
 * 2.9 and may be unreadable for a non-owner; either way the jobs still show.
 */
async function lastJobErrors(
  pool: Pool,
  jobIds: number[],
): Promise<Map<number, { message: string; at: string | null }>> {
  if (!jobIds.length) return new Map();
  try {
    const { rows } = await pool.query(
      `SELECT DISTINCT ON (job_id) job_id, err_message, finish_time
         FROM timescaledb_information.job_errors
        WHERE job_id = ANY($1::int[])
        ORDER BY job_id, finish_time DESC NULLS LAST, start_time DESC`,
      [jobIds],
    );
    return new Map(
      rows.map(r => [
        Number(r.job_id),
        {
          message: String(r.err_message ?? 'unknown error'),
          at: iso(r.finish_time),
        },
      ]),
    );
  } catch {
    return new Map();
  }
}

/**
 * The sink's replay and conflict counts for the table, from the
 * `streaming_sink_conflicts` table it keeps beside its hypertables. Absent
 * when the sink does not keep one there (an older sink, another writer).
 */
async function writeConflicts(
  pool: Pool,
  table: ResolvedTable,
): Promise<HypertableStats['writeConflicts']> {
  const conflicts = `${quoteIdent(table.schema)}.streaming_sink_conflicts`;
  const { rows: exists } = await pool.query(
    `SELECT to_regclass($1) IS NOT NULL AS present`,
    [conflicts],
  );
  if (!exists[0]?.present) return undefined;
  const { rows } = await pool.query(
    `SELECT replays, conflicts, last_conflict_at, last_conflict FROM ${conflicts} WHERE hypertable = $1`,
    [table.name],
  );
  const r = rows[0];
  return r
    ? {
        replays: Number(r.replays ?? 0),
        conflicts: Number(r.conflicts ?? 0),
        lastConflictAt: iso(r.last_conflict_at),
        lastConflict: r.last_conflict ?? null,
      }
    : { replays: 0, conflicts: 0, lastConflictAt: null, lastConflict: null };
}

/** Newest row overall and per device (devices seen in the last 30 days), and rows in the last hour. */
async function freshnessAndIngest(
  pool: Pool,
  table: ResolvedTable,
  ts: string,
) {
  const t = quoteIdent(ts);
  const [overall, hour, devices] = await Promise.all([
    pool.query(`SELECT max(${t}) AS newest FROM ${table.quoted}`),
    pool.query(
      `SELECT count(*) AS n FROM ${table.quoted} WHERE ${t} > now() - interval '1 hour'`,
    ),
    table.columns.has('device_id')
      ? pool.query(
          `SELECT device_id::text AS device_id, max(${t}) AS newest FROM ${table.quoted}
            WHERE ${t} > now() - interval '30 days' GROUP BY device_id ORDER BY newest DESC LIMIT 100`,
        )
      : Promise.resolve({ rows: [] as any[] }),
  ]);
  const rowsLastHour = Number(hour.rows[0].n);
  return {
    freshness: {
      newestTs: iso(overall.rows[0].newest),
      perDevice: devices.rows.map(r => ({
        deviceId: r.device_id,
        newestTs: iso(r.newest)!,
      })),
    },
    ingest: { rowsLastHour, ratePerSecond: rowsLastHour / 3600 },
  };
}

async function conflictsOf(pool: Pool, table: ResolvedTable) {
  const found = await writeConflicts(pool, table);
  return found ? { writeConflicts: found } : {};
}

/**
 * Everything the TimescaleDB tab shows for one table. On plain PostgreSQL, or
 * for a table that is not a hypertable, it returns what PostgreSQL itself
 * knows and says in `note` what is missing.
 */
export async function tableStats(
  pool: Pool,
  database: string,
  features: DatabaseFeatures,
  table: ResolvedTable,
): Promise<HypertableStats> {
  const label =
    table.schema === 'public' ? table.name : `${table.schema}.${table.name}`;
  const info = features.timescale
    ? await hypertableInfo(pool, table)
    : undefined;
  const ts = timeColumn(table, info?.timeDimension);
  const live = ts ? await freshnessAndIngest(pool, table, ts) : {};
  if (!info) {
    return {
      database,
      table: label,
      timescale: false,
      note: features.timescale
        ? `${label} is not a hypertable: chunks, compression, continuous aggregates and jobs do not apply`
        : `the TimescaleDB extension is not installed in database "${database}": showing PostgreSQL table statistics only (no chunks, compression, continuous aggregates or jobs)`,
      ...(await plainSizes(pool, table)),
      ...live,
      ...(await conflictsOf(pool, table)),
    };
  }
  const [sizes, chunked, aggregates] = await Promise.all([
    timescaleSizes(pool, table),
    chunksAndCompression(pool, table, info),
    continuousAggregates(pool, table, ts),
  ]);
  return {
    database,
    table: label,
    timescale: true,
    ...sizes,
    ...chunked,
    continuousAggregates: aggregates.map(
      ({
        schema: _s,
        materializationSchema: _ms,
        materializationName: _mn,
        ...aggregate
      }) => aggregate,
    ),
    jobs: await jobs(pool, table, aggregates),
    ...live,
    ...(await conflictsOf(pool, table)),
  };
}
