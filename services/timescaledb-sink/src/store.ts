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

/**
 * Writes readings (and, when configured, their raw archive rows) in one
 * transaction: both INSERTs go in one simple-protocol query, which
 * PostgreSQL runs as a single implicit transaction. Returns the number of
 * readings actually inserted; replayed rows hit the unique key and count as
 * zero.
 */
export class ReadingsStore {
  constructor(
    private readonly pool: Pool,
    private readonly config: SinkConfig,
  ) {}

  async write(t: Hypertable, items: ReadingRecord[]): Promise<number> {
    let sql = insertStatement(
      t,
      items.map(i => i.record),
    );
    const { rawArchive, database } = this.config;
    if (rawArchive.enabled)
      sql += `;\n${rawInsertStatement(
        database.schema,
        rawArchive.table,
        items,
      )}`;
    const result = (await this.pool.query(sql)) as QueryResult | QueryResult[];
    return (Array.isArray(result) ? result[0] : result).rowCount ?? 0;
  }
}
