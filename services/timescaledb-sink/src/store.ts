import { Pool, PoolClient, QueryResult } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Logger } from '@homelab/service-kit';
import { connectionOptions, SinkConfig } from './config';
import { classifyDbError, sqlState } from './errors';
import { isConnectionLevel, withClient } from './pooledClient';
import {
  copyDirectSql,
  copyRows,
  copyStagingSql,
  createStagingSql,
  Hypertable,
  insertStatement,
  ReadingRecord,
  rawInsertStatement,
  stagedInsertStatement,
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

/** How a batch reaches the database; chosen once at start by detectWritePath. */
export type WritePath = 'copy' | 'statement';

/**
 * Writes readings (and, when configured, their raw archive rows) in one
 * transaction. Two paths, one result:
 * - `statement`: both INSERTs go in one simple-protocol query, which
 *   PostgreSQL runs as a single implicit transaction; the rows travel as
 *   array literals (see insertStatement).
 * - `copy`: BEGIN; COPY the rows into a per-connection temporary staging
 *   table; the same merge as `statement` reads them from there; COMMIT. COPY
 *   skips parsing a multi-megabyte statement and the array casts.
 * Either way the conflicts table is updated by the same statement as the
 * rows, so counts and rows commit together.
 */
export class ReadingsStore {
  /** Set by detectWritePath before the first write. */
  path: WritePath = 'statement';
  /** Connections whose staging tables exist (temporary tables live per session). */
  private readonly staged = new WeakSet<PoolClient>();
  /**
   * Tables whose last batch hit stored keys (a replay, a conflict, a
   * duplicate inside the batch): their next batch goes to the staging table
   * at once instead of trying COPY into the table first.
   */
  private readonly keysSeen = new Set<string>();

  constructor(
    private readonly pool: Pool,
    private readonly config: SinkConfig,
    private readonly tables: Hypertable[] = [],
  ) {}

  /** The write of a whole chunk: COPY when the server takes it. */
  async writeBulk(
    t: Hypertable,
    items: ReadingRecord[],
  ): Promise<WriteOutcome> {
    return this.path === 'copy'
      ? this.writeCopy(t, items)
      : this.write(t, items);
  }

  /** The statement path; also what the split path uses to isolate a record. */
  async write(t: Hypertable, items: ReadingRecord[]): Promise<WriteOutcome> {
    const sql = this.withRawArchive(
      insertStatement(
        t,
        items.map(i => i.record),
        this.config.conflicts.logPerBatch,
      ),
      items,
    );
    const result = (await this.pool.query(sql)) as QueryResult | QueryResult[];
    return outcomeOf(result);
  }

  private rawArchiveSql(items: ReadingRecord[]): string | undefined {
    const { rawArchive, database } = this.config;
    return rawArchive.enabled
      ? rawInsertStatement(database.schema, rawArchive.table, items)
      : undefined;
  }

  private withRawArchive(sql: string, items: ReadingRecord[]): string {
    const raw = this.rawArchiveSql(items);
    return raw ? `${sql};\n${raw}` : sql;
  }

  private async writeCopy(
    t: Hypertable,
    items: ReadingRecord[],
  ): Promise<WriteOutcome> {
    // A connection that failed mid-COPY is in an unknown protocol state:
    // it is closed, not returned to the pool.
    return withClient(this.pool, async (client, markBroken) => {
      if (!this.staged.has(client)) {
        // Outside the transaction, so a rolled-back batch keeps the table.
        for (const table of this.tables.length ? this.tables : [t])
          await client.query(createStagingSql(table));
        this.staged.add(client);
      }
      const records = items.map(i => i.record);
      const timeoutMs = this.config.database.queryTimeoutMs;
      const key = `${t.schema}.${t.name}`;
      await client.query('BEGIN');
      try {
        if (!this.keysSeen.has(key)) {
          // A drain or a live stream brings new keys: COPY straight into the
          // table does what `psql \copy` does. One stored or repeated key
          // fails it with 23505 and nothing of it stays (the savepoint);
          // the batch then takes the merge, which keeps the first value and
          // counts every replay and conflict.
          await client.query('SAVEPOINT direct');
          try {
            await copyIn(
              client,
              copyDirectSql(t),
              copyRows(t, records, false),
              timeoutMs,
            );
            const raw = this.rawArchiveSql(items);
            await client.query(raw ? `${raw};\nCOMMIT` : 'COMMIT');
            return {
              inserted: items.length,
              replays: 0,
              conflicts: 0,
              samples: [],
            };
          } catch (e) {
            if (sqlState(e) !== '23505') throw e;
            await client.query('ROLLBACK TO SAVEPOINT direct');
            this.keysSeen.add(key);
          }
        }
        await copyIn(
          client,
          copyStagingSql(t),
          copyRows(t, records),
          timeoutMs,
        );
        const result = (await client.query(
          `${this.withRawArchive(
            stagedInsertStatement(t, this.config.conflicts.logPerBatch),
            items,
          )};\nCOMMIT`,
        )) as unknown as QueryResult[];
        const outcome = outcomeOf(result);
        // All new again (the replay is over): back to the direct COPY.
        if (outcome.inserted === items.length) this.keysSeen.delete(key);
        return outcome;
      } catch (e) {
        // After a timeout the server may still wait for COPY data, and a
        // ROLLBACK would queue behind it: closing the connection aborts the
        // transaction instead.
        if (!isConnectionLevel(e))
          await client.query('ROLLBACK').catch(markBroken);
        throw e;
      }
    });
  }
}

function outcomeOf(result: QueryResult | QueryResult[]): WriteOutcome {
  const [row] = (Array.isArray(result) ? result[0] : result).rows;
  return {
    inserted: row.inserted,
    replays: row.replays,
    conflicts: row.conflicts,
    samples: row.samples ?? [],
  };
}

/**
 * Streams `text` into `COPY … FROM STDIN`. pg's query_timeout does not cover
 * a COPY stream, so a server that goes silent mid-COPY is bounded here with
 * the same limit and the same message, which errors.ts counts as an outage.
 */
function copyIn(
  client: PoolClient,
  sql: string,
  text: string,
  timeoutMs: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stream = client.query(copyFrom(sql));
    const timer = timeoutMs
      ? setTimeout(() => {
          const err = new Error('Query read timeout');
          stream.destroy(err);
          reject(err);
        }, timeoutMs)
      : undefined;
    stream.on('error', err => {
      clearTimeout(timer);
      reject(err);
    });
    stream.on('finish', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.end(text);
  });
}

/**
 * Whether this server takes COPY FROM STDIN, decided once at start from what
 * the server is, not from config:
 * - PGlite (PostgreSQL compiled to WebAssembly, the local TimescaleDB) is
 *   recognised by its version string and never probed: its socket server
 *   drops the session on the COPY sub-protocol, and with it the one backend
 *   every client shares.
 * - Any other server gets a real COPY of one row into a temporary table,
 *   rolled back; if that fails (a proxy or fork without COPY), the statement
 *   path is used.
 */
export async function detectWritePath(
  pool: Pool,
  queryTimeoutMs: number,
): Promise<{ path: WritePath; reason: string }> {
  try {
    return await withClient(pool, async (client, markBroken) => {
      const { rows } = await client.query('SELECT version() AS v');
      const version = String(rows[0].v);
      if (/emscripten/i.test(version))
        return {
          path: 'statement' as const,
          reason:
            'PGlite (WebAssembly build): its socket server cannot take COPY FROM STDIN',
        };
      await client.query('BEGIN');
      try {
        await client.query(
          'CREATE TEMPORARY TABLE sink_copy_probe (n int) ON COMMIT DROP',
        );
        await copyIn(
          client,
          'COPY sink_copy_probe FROM STDIN',
          '1\n',
          queryTimeoutMs,
        );
        const probe = await client.query(
          'SELECT count(*)::int AS n FROM sink_copy_probe',
        );
        if (probe.rows[0].n !== 1) throw new Error('COPY stored no row');
      } catch (e) {
        if (!isConnectionLevel(e))
          await client.query('ROLLBACK').catch(markBroken);
        throw e;
      }
      await client.query('ROLLBACK');
      return {
        path: 'copy' as const,
        reason: 'the server took a COPY FROM STDIN probe',
      };
    });
  } catch (e) {
    // An outage says nothing about COPY: the caller waits and asks again.
    if (classifyDbError(e) === 'transient') throw e;
    return {
      path: 'statement',
      reason: `COPY FROM STDIN probe failed: ${(e as Error).message}`,
    };
  }
}
