import type { Pool } from 'pg';
import {
  aggregateName,
  HistoryBucket,
  HypertableHistoryResponse,
  quoteIdent,
} from '@homelab/plugin-streaming-common';
import {
  DatabaseFeatures,
  NUMERIC_TYPES,
  ResolvedTable,
  resolveTable,
  timeColumn,
} from './catalog';
import { continuousAggregates, hypertableInfo } from './stats';

export const DEFAULT_HOURS: Record<HistoryBucket, number> = {
  hour: 48,
  day: 60 * 24,
};
const MAX_POINTS = 5000;
const DIMENSIONS = new Set(['bucket', 'device_id']);

function numericColumns(table: ResolvedTable, exclude: Set<string>): string[] {
  return [...table.columns]
    .filter(([c, t]) => NUMERIC_TYPES.has(t) && !exclude.has(c))
    .map(([c]) => c);
}

function toPoints(
  rows: any[],
  series: string[],
): HypertableHistoryResponse['points'] {
  return rows.map(r => ({
    bucket: new Date(r.bucket).toISOString(),
    deviceId:
      r.device_id === null || r.device_id === undefined
        ? ''
        : String(r.device_id),
    values: Object.fromEntries(
      series.map(s => [s, r[s] === null ? null : Number(r[s])]),
    ),
  }));
}

/**
 * A bucketed series for charts. It reads the continuous aggregate named
 * `<table>_hourly` / `<table>_daily` when the table has one with a `bucket`
 * column (the sink creates them); otherwise it buckets the raw table,
 * with `time_bucket` on TimescaleDB and `date_trunc` on plain PostgreSQL.
 */
export async function tableHistory(
  pool: Pool,
  database: string,
  features: DatabaseFeatures,
  table: ResolvedTable,
  bucket: HistoryBucket,
  hours = DEFAULT_HOURS[bucket],
): Promise<HypertableHistoryResponse> {
  const label =
    table.schema === 'public' ? table.name : `${table.schema}.${table.name}`;
  const since = `${hours} hours`;
  let dimension: string | undefined;
  if (features.timescale) {
    const info = await hypertableInfo(pool, table);
    dimension = info?.timeDimension;
    if (info) {
      const wanted = aggregateName(table.name, bucket);
      const aggregate = (await continuousAggregates(pool, table)).find(
        a => a.name === wanted,
      );
      const view =
        aggregate &&
        (await resolveTable(
          pool,
          `${quoteIdent(aggregate.schema)}.${quoteIdent(aggregate.name)}`,
        ));
      if (view && view.columns.has('bucket')) {
        const series = numericColumns(view, DIMENSIONS);
        const device = view.columns.has('device_id')
          ? 'device_id'
          : 'NULL AS device_id';
        const { rows } = await pool.query(
          `SELECT bucket, ${device}${series
            .map(s => `, ${quoteIdent(s)}`)
            .join('')}
             FROM ${view.quoted} WHERE bucket >= now() - $1::interval
            ORDER BY bucket, 2 LIMIT ${MAX_POINTS}`,
          [since],
        );
        return {
          database,
          table: label,
          bucket,
          source: `aggregate:${view.name}`,
          series,
          points: toPoints(rows, series),
        };
      }
    }
  }

  const ts = timeColumn(table, dimension);
  if (!ts) throw new Error(`${label} has no timestamp column to bucket by`);
  const columns = numericColumns(table, new Set([ts, 'device_id']));
  const series = [
    ...columns.flatMap(c => [`${c}_avg`, `${c}_min`, `${c}_max`]),
    'count',
  ];
  const t = quoteIdent(ts);
  const bucketExpr = features.timescale
    ? `time_bucket($2::interval, ${t})`
    : `date_trunc($2, ${t})`;
  const device = table.columns.has('device_id')
    ? 'device_id::text'
    : 'NULL::text';
  const aggregates = columns
    .map(
      c =>
        `, avg(${quoteIdent(c)}) AS ${quoteIdent(`${c}_avg`)}, min(${quoteIdent(
          c,
        )}) AS ${quoteIdent(`${c}_min`)}, max(${quoteIdent(c)}) AS ${quoteIdent(
          `${c}_max`,
        )}`,
    )
    .join('');
  const { rows } = await pool.query(
    `SELECT ${bucketExpr} AS bucket, ${device} AS device_id${aggregates}, count(*) AS count
       FROM ${table.quoted} WHERE ${t} >= now() - $1::interval
      GROUP BY 1, 2 ORDER BY 1, 2 LIMIT ${MAX_POINTS}`,
    [since, features.timescale ? `1 ${bucket}` : bucket],
  );
  return {
    database,
    table: label,
    bucket,
    source: 'raw',
    series,
    points: toPoints(rows, series),
  };
}
