import type { Pool, PoolClient } from 'pg';
import type { Logger } from '@homelab/service-kit';
import { aggregateNames } from '@homelab/pipeline-contracts';
import type { SinkConfig } from './config';
import { withClient } from './pooledClient';
import {
  addColumnsSql,
  createAggregateSql,
  createConflictsTableSql,
  createRawArchiveSql,
  createTableSql,
  Hypertable,
  hypertablesFromConfig,
  ident,
  literal,
  qualified,
  timeIndexSql,
} from './hypertable';

export interface Migration {
  /** Stable key recorded in schema_migrations; never rename one. */
  version: string;
  statements: string[];
}

/** Refresh windows chosen so each policy spans well over two buckets. */
const REFRESH = {
  hourly: {
    bucket: '1 hour',
    start: '3 days',
    end: '1 hour',
    every: '30 minutes',
  },
  daily: { bucket: '1 day', start: '30 days', end: '1 day', every: '1 hour' },
} as const;

function tableMigrations(
  t: Hypertable,
  timescale: boolean,
  ts: SinkConfig['timescale'],
): Migration[] {
  const table = qualified(t.schema, t.name);
  const regclass = literal(table);
  const list: Migration[] = [
    { version: `0001_${t.name}_table`, statements: [createTableSql(t)] },
  ];
  if (!timescale) {
    list.push({
      version: `0002_${t.name}_ts_index`,
      statements: [timeIndexSql(t)],
    });
    return list;
  }
  list.push({
    version: `0002_${t.name}_hypertable`,
    statements: [
      `SELECT create_hypertable(${regclass}, 'ts', chunk_time_interval => INTERVAL ${literal(
        ts.chunkInterval,
      )}, if_not_exists => TRUE, migrate_data => TRUE)`,
    ],
  });
  const views = aggregateNames(t.name);
  for (const kind of ['hourly', 'daily'] as const) {
    const view = qualified(t.schema, views[kind]);
    const r = REFRESH[kind];
    list.push({
      version: `0003_${views[kind]}_aggregate`,
      statements: [
        createAggregateSql(t, views[kind], r.bucket),
        `SELECT add_continuous_aggregate_policy(${literal(
          view,
        )}, start_offset => INTERVAL ${literal(
          r.start,
        )}, end_offset => INTERVAL ${literal(
          r.end,
        )}, schedule_interval => INTERVAL ${literal(
          r.every,
        )}, if_not_exists => TRUE)`,
        `SELECT add_retention_policy(${literal(view)}, INTERVAL ${literal(
          ts.aggregateRetention,
        )}, if_not_exists => TRUE)`,
      ],
    });
  }
  list.push({
    version: `0004_${t.name}_compression`,
    statements: [
      `ALTER TABLE ${table} SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id', timescaledb.compress_orderby = 'ts DESC')`,
      `SELECT add_compression_policy(${regclass}, INTERVAL ${literal(
        ts.compressAfter,
      )}, if_not_exists => TRUE)`,
    ],
  });
  list.push({
    version: `0005_${t.name}_retention`,
    statements: [
      `SELECT add_retention_policy(${regclass}, INTERVAL ${literal(
        ts.rawRetention,
      )}, if_not_exists => TRUE)`,
    ],
  });
  return list;
}

function rawArchiveMigrations(
  config: SinkConfig,
  timescale: boolean,
): Migration[] {
  const { schema } = config.database;
  const { table } = config.rawArchive;
  const regclass = literal(qualified(schema, table));
  const list: Migration[] = [
    {
      version: `0001_${table}_raw_archive`,
      statements: [createRawArchiveSql(schema, table)],
    },
  ];
  if (timescale) {
    list.push({
      version: `0002_${table}_hypertable`,
      statements: [
        `SELECT create_hypertable(${regclass}, 'ts', chunk_time_interval => INTERVAL ${literal(
          config.timescale.chunkInterval,
        )}, if_not_exists => TRUE, migrate_data => TRUE)`,
        `SELECT add_retention_policy(${regclass}, INTERVAL ${literal(
          config.timescale.rawRetention,
        )}, if_not_exists => TRUE)`,
      ],
    });
  }
  return list;
}

/** Every migration the config asks for, in the order they must run. */
export function plannedMigrations(
  config: SinkConfig,
  timescale: boolean,
): Migration[] {
  const tables = hypertablesFromConfig(config);
  const list: Migration[] = [
    // A plain table even on TimescaleDB: one small row per hypertable.
    {
      version: '0001_streaming_sink_conflicts_table',
      statements: [createConflictsTableSql(config.database.schema)],
    },
    ...tables.flatMap(t => tableMigrations(t, timescale, config.timescale)),
  ];
  if (config.rawArchive.enabled)
    list.push(...rawArchiveMigrations(config, timescale));
  return list;
}

/** A right the database user lacks; the message says what to grant. */
export class DatabaseRightsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseRightsError';
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';

function pgCode(e: unknown): string | undefined {
  return (e as { code?: string })?.code;
}

export interface MigrationResult {
  timescale: boolean;
  timescaleVersion?: string;
  applied: string[];
}

async function detectTimescale(
  client: PoolClient,
  config: SinkConfig,
  db: { name: string; user: string },
): Promise<string | undefined> {
  const { mode } = config.timescale;
  if (mode === 'off') return undefined;
  const { rows } = await client.query(
    `SELECT (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS installed,
            (SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb') AS available`,
  );
  const { installed, available } = rows[0];
  if (installed) return installed;
  if (!available) {
    if (mode === 'required') {
      throw new Error(
        `timescale.mode is "required" but the TimescaleDB extension is not available on this server (database "${db.name}")`,
      );
    }
    return undefined;
  }
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
  } catch (e) {
    if (pgCode(e) === INSUFFICIENT_PRIVILEGE) {
      throw new DatabaseRightsError(
        `TimescaleDB is available but not installed in database "${db.name}", and user "${db.user}" may not install it. ` +
          `Ask a superuser to run: CREATE EXTENSION timescaledb; in database "${db.name}" ` +
          `(or set timescale.mode: off to use plain PostgreSQL tables)`,
      );
    }
    throw e;
  }
  const after = await client.query(
    `SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`,
  );
  return after.rows[0]?.extversion;
}

function rightsError(e: unknown, what: string, grant: string): never {
  if (pgCode(e) === INSUFFICIENT_PRIVILEGE) {
    throw new DatabaseRightsError(
      `${what}: ${(e as Error).message}. Grant it with: ${grant}`,
    );
  }
  throw e;
}

/**
 * Brings the schema to what the config declares. Each migration runs once
 * (recorded in schema_migrations) and is written to be harmless if repeated;
 * an advisory lock keeps replicas that start together from racing.
 */
export async function migrate(
  pool: Pool,
  config: SinkConfig,
  logger: Logger,
): Promise<MigrationResult> {
  const { schema } = config.database;
  return withClient(pool, async client => {
    const who = await client.query(
      'SELECT current_user AS user, current_database() AS name',
    );
    const db = who.rows[0] as { user: string; name: string };
    // PostgreSQL checks the database-level right before IF NOT EXISTS, so a
    // user that may only use an existing schema must not even try.
    const exists = await client.query(
      `SELECT 1 FROM pg_namespace WHERE nspname = ${literal(schema)}`,
    );
    if (!exists.rowCount)
      await client
        .query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`)
        .catch(e =>
          rightsError(
            e,
            `user "${db.user}" may not create schema "${schema}"`,
            `GRANT CREATE ON DATABASE ${ident(db.name)} TO ${ident(db.user)};`,
          ),
        );
    // Literals, not bind parameters: see insertStatement on PGlite.
    const lockKey = `hashtext(${literal(`timescaledb-sink:${schema}`)})`;
    await client.query(`SELECT pg_advisory_lock(${lockKey})`);
    try {
      const timescaleVersion = await detectTimescale(client, config, db);
      const timescale = timescaleVersion !== undefined;
      if (timescale)
        logger.info(
          { timescaleVersion, schema },
          'TimescaleDB found: hypertables, continuous aggregates, compression and retention enabled',
        );
      else
        logger.warn(
          { schema, mode: config.timescale.mode },
          'TimescaleDB not available: using plain PostgreSQL tables without hypertables, continuous aggregates, compression or retention',
        );
      const migrations = qualified(schema, 'schema_migrations');
      await client
        .query(
          `CREATE TABLE IF NOT EXISTS ${migrations} (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
        )
        .catch(e =>
          rightsError(
            e,
            `user "${db.user}" may not create tables in schema "${schema}"`,
            `GRANT USAGE, CREATE ON SCHEMA ${ident(schema)} TO ${ident(
              db.user,
            )};`,
          ),
        );
      const done = new Set(
        (await client.query(`SELECT version FROM ${migrations}`)).rows.map(
          r => r.version,
        ),
      );
      const applied: string[] = [];
      for (const m of plannedMigrations(config, timescale)) {
        if (done.has(m.version)) continue;
        try {
          for (const sql of m.statements) await client.query(sql);
        } catch (e) {
          rightsError(
            e,
            `migration ${m.version} failed for user "${db.user}"`,
            `GRANT USAGE, CREATE ON SCHEMA ${ident(schema)} TO ${ident(
              db.user,
            )}; and make the user own the sink's tables`,
          );
        }
        await client.query(
          `INSERT INTO ${migrations} (version) VALUES (${literal(
            m.version,
          )}) ON CONFLICT DO NOTHING`,
        );
        applied.push(m.version);
      }
      // Typed columns added to the config after the table exists.
      for (const t of hypertablesFromConfig(config))
        for (const sql of addColumnsSql(t)) await client.query(sql);
      if (applied.length)
        logger.info({ applied, schema }, 'schema migrations applied');
      return { timescale, timescaleVersion, applied };
    } finally {
      await client
        .query(`SELECT pg_advisory_unlock(${lockKey})`)
        .catch(() => {});
    }
  });
}
