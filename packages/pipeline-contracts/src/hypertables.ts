import type { StreamName } from './streams';

/** One hypertable per stream, named after what it holds; the sink's config may rename them. */
export const DEFAULT_HYPERTABLES: Record<StreamName, string> = {
  energy: 'energy_readings',
  heatpump: 'heatpump_readings',
  temperature: 'temperature_readings',
};

/** The buckets the sink keeps a continuous aggregate for. */
export type AggregateBucket = 'hour' | 'day';

/**
 * The suffix of each continuous aggregate's view: the sink creates
 * `<table>_hourly` and `<table>_daily`, and the portal's history reads them
 * by these names.
 */
export const AGGREGATE_SUFFIXES: Record<AggregateBucket, string> = {
  hour: '_hourly',
  day: '_daily',
};

/** The continuous aggregate of `table` for one bucket. */
export function aggregateName(table: string, bucket: AggregateBucket): string {
  return `${table}${AGGREGATE_SUFFIXES[bucket]}`;
}

/** Both continuous aggregates of a table. */
export function aggregateNames(table: string): {
  hourly: string;
  daily: string;
} {
  return {
    hourly: aggregateName(table, 'hour'),
    daily: aggregateName(table, 'day'),
  };
}

/**
 * A PostgreSQL identifier in double quotes, an embedded quote doubled: the
 * one way the sink (writing) and the backend (reading) put schema, table and
 * column names into SQL text, since identifiers cannot be bind parameters.
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
