import type { Pool } from 'pg';
import { quoteIdent } from '@homelab/plugin-streaming-common';

/** A table as the database's own catalog names it: safe to quote into SQL. */
export interface ResolvedTable {
  schema: string;
  name: string;
  /** `"schema"."name"`, built only from catalog names. */
  quoted: string;
  /** Columns and their types, from information_schema. */
  columns: Map<string, string>;
}

export const NUMERIC_TYPES = new Set([
  'smallint',
  'integer',
  'bigint',
  'numeric',
  'real',
  'double precision',
]);

/**
 * Resolves a name from an annotation against the database itself
 * (`to_regclass`), so only relations that exist can reach a query, and
 * always by the names the catalog returns.
 */
export async function resolveTable(
  pool: Pool,
  name: string,
): Promise<ResolvedTable | undefined> {
  const { rows } = await pool.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)`,
    [name],
  );
  if (!rows.length) return undefined;
  const { schema, name: rel } = rows[0];
  const cols = await pool.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, rel],
  );
  return {
    schema,
    name: rel,
    quoted: `${quoteIdent(schema)}.${quoteIdent(rel)}`,
    columns: new Map(cols.rows.map(r => [r.column_name, r.data_type])),
  };
}

export interface DatabaseFeatures {
  timescale: boolean;
  version?: string;
}

export async function databaseFeatures(pool: Pool): Promise<DatabaseFeatures> {
  const { rows } = await pool.query<{ extversion: string }>(
    `SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`,
  );
  return rows.length
    ? { timescale: true, version: rows[0].extversion }
    : { timescale: false };
}

/** The time column: the hypertable's time dimension, else `ts`, else the first timestamp column. */
export function timeColumn(
  table: ResolvedTable,
  dimension?: string,
): string | undefined {
  if (dimension && table.columns.has(dimension)) return dimension;
  if (table.columns.has('ts')) return 'ts';
  for (const [column, type] of table.columns)
    if (type.startsWith('timestamp')) return column;
  return undefined;
}
