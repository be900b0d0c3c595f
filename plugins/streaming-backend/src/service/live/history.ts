import { quoteIdent } from '@homelab/plugin-streaming-common';
import type { Pool } from 'pg';
import type { LiveHistoryPoint } from '@homelab/plugin-streaming-common';
import { NUMERIC_TYPES, ResolvedTable, timeColumn } from '../timescale/catalog';

/** 60 minutes of 5 devices at 1 msg/s fit; 20 msg/s devices get their newest readings. */
export const MAX_HISTORY_POINTS = 20_000;

/**
 * The raw readings of the last `minutes`, oldest first: the typed numeric
 * columns plus the numbers the sink keeps in `extra`, so a point has the same
 * fields as the live `data` message it stands in for.
 */
export async function recentReadings(
  pool: Pool,
  table: ResolvedTable,
  minutes: number,
  devices?: string[],
): Promise<{ points: LiveHistoryPoint[]; truncated: boolean }> {
  const ts = timeColumn(table);
  if (!ts)
    throw new Error(`${table.schema}.${table.name} has no timestamp column`);
  const numeric = [...table.columns]
    .filter(([c, t]) => NUMERIC_TYPES.has(t) && c !== ts)
    .map(([c]) => c);
  const hasDevice = table.columns.has('device_id');
  const hasExtra = table.columns.get('extra') === 'jsonb';
  const select = [
    `${quoteIdent(ts)} AS ts`,
    hasDevice ? 'device_id::text AS device_id' : `''::text AS device_id`,
    ...numeric.map(c => quoteIdent(c)),
    ...(hasExtra ? ['extra'] : []),
  ].join(', ');
  const params: unknown[] = [`${minutes} minutes`];
  let where = `${quoteIdent(ts)} >= now() - $1::interval`;
  if (devices?.length && hasDevice) {
    params.push(devices);
    where += ' AND device_id = ANY($2::text[])';
  }
  // Newest first under the cap, so a busy table loses its oldest readings, not its latest.
  const { rows } = await pool.query(
    `SELECT ${select} FROM ${table.quoted} WHERE ${where} ORDER BY ${quoteIdent(
      ts,
    )} DESC LIMIT ${MAX_HISTORY_POINTS + 1}`,
    params,
  );
  const truncated = rows.length > MAX_HISTORY_POINTS;
  const points = rows
    .slice(0, MAX_HISTORY_POINTS)
    .reverse()
    .map(row => {
      const fields: Record<string, number> = {};
      if (hasExtra && row.extra && typeof row.extra === 'object') {
        for (const [k, v] of Object.entries(row.extra))
          if (typeof v === 'number') fields[k] = v;
      }
      for (const c of numeric)
        if (row[c] !== null && row[c] !== undefined) fields[c] = Number(row[c]);
      return {
        ts: new Date(row.ts).toISOString(),
        deviceId: String(row.device_id ?? ''),
        fields,
      };
    });
  return { points, truncated };
}
