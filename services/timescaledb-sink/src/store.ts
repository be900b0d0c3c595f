import { Pool, QueryResult } from 'pg';
import type { Logger } from '@homelab/service-kit';
import { connectionOptions, SinkConfig } from './config';
import {
  Hypertable,
  insertStatement,
  ReadingRecord,
  rawInsertStatement,
} from './hypertable';

export type { ReadingRecord };

export function createPool(config: SinkConfig, logger: Logger): Pool {
  const pool = new Pool({
    ...connectionOptions(config.database),
    max: config.database.poolMax,
    statement_timeout: config.database.statementTimeoutMs || undefined,
    query_timeout: config.database.queryTimeoutMs || undefined,
    connectionTimeoutMillis: 10_000,
    application_name: 'timescaledb-sink',
  });
  // An idle connection dropped by a restarting server must not crash the
  // process; the next write sees the outage and retries.
  pool.on('error', err =>
    logger.warn({ err: err.message }, 'idle database connection lost'),
  );
  return pool;
}

/** One reading stored in place of another with the same (device_id, ts). */
export interface Conflict {
  device_id: string;
  ts: string;
  old: Record<string, unknown>;
  new: Record<string, unknown>;
}

/** What one write did to each record of the batch. */
export interface WriteOutcome {
  inserted: number;
  /** Same key and same values as a stored row: harmless. */
  replays: number;
  /** Same key, other values: the stored value was kept. */
  conflicts: number;
  /** The last few conflicts, for the log. */
  samples: Conflict[];
}

/**
 * Writes readings (and, when configured, their raw archive rows) in one
 * transaction: both INSERTs go in one simple-protocol query, which
 * PostgreSQL runs as a single implicit transaction. The conflicts table is
 * updated by the same statement (see insertStatement).
 */
export class ReadingsStore {
  constructor(
    private readonly pool: Pool,
    private readonly config: SinkConfig,
  ) {}

  async write(t: Hypertable, items: ReadingRecord[]): Promise<WriteOutcome> {
    let sql = insertStatement(
      t,
      items.map(i => i.record),
      this.config.conflicts.logPerBatch,
    );
    const { rawArchive, database } = this.config;
    if (rawArchive.enabled)
      sql += `;\n${rawInsertStatement(
        database.schema,
        rawArchive.table,
        items,
      )}`;
    const result = (await this.pool.query(sql)) as QueryResult | QueryResult[];
    const [row] = (Array.isArray(result) ? result[0] : result).rows;
    return {
      inserted: row.inserted,
      replays: row.replays,
      conflicts: row.conflicts,
      samples: row.samples ?? [],
    };
  }
}
