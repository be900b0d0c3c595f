import type { Config } from '@backstage/config';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { unknownNameError } from '../errors';
import { readFileSync } from 'node:fs';
import { Pool, PoolConfig } from 'pg';

export interface DatabaseSettings {
  name: string;
  connection: string | PoolConfig;
  maxConnections: number;
  /** From `sslmode`; undefined leaves `connection` (and its own sslmode) alone. */
  ssl?: PoolConfig['ssl'];
}

/** libpq's modes that pg can honour; `prefer`/`allow` need a fallback pg lacks. */
const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'];

/**
 * `sslmode` with libpq's meaning: `require` encrypts without checking the
 * certificate, `verify-ca` checks it against `sslrootcert` (a CA file) or
 * `ca` (PEM), `verify-full` also checks the host name.
 */
function readSsl(c: Config, key: string): PoolConfig['ssl'] | undefined {
  const mode = c.getOptionalString('sslmode');
  if (mode === undefined) return undefined;
  if (!SSL_MODES.includes(mode))
    throw new Error(
      `${key}.sslmode must be one of ${SSL_MODES.join(', ')}, got "${mode}"`,
    );
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  const file = c.getOptionalString('sslrootcert');
  let ca = c.getOptionalString('ca');
  if (file) {
    try {
      ca = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(
        `${key}.sslrootcert: cannot read ${file}: ${
          (error as NodeJS.ErrnoException).code ?? error
        }`,
      );
    }
  }
  if (!ca)
    throw new Error(
      `${key}.sslrootcert: is required with sslmode ${mode}; give the file of the CA that signed the server's certificate`,
    );
  return mode === 'verify-ca'
    ? { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined }
    : { rejectUnauthorized: true, ca };
}

export function readDatabaseSettings(config: Config): DatabaseSettings[] {
  const list =
    config.getOptionalConfigArray('streaming.timescale.databases') ?? [];
  const names = new Set<string>();
  return list.map(c => {
    const name = c.getString('name');
    if (names.has(name))
      throw new Error(
        `streaming.timescale.databases: database name "${name}" is configured twice`,
      );
    names.add(name);
    const raw = c.get('connection');
    if (
      typeof raw !== 'string' &&
      (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    ) {
      throw new Error(
        `streaming.timescale.databases[${name}].connection must be a connection string or an object`,
      );
    }
    return {
      name,
      connection: raw as string | PoolConfig,
      maxConnections: c.getOptionalNumber('maxConnections') ?? 4,
      ssl: readSsl(c, `streaming.timescale.databases[${name}]`),
    };
  });
}

/**
 * One long-lived pool per configured database. Connections come only from
 * config; annotations and requests can only pick a database by name.
 */
export class TimescaleDatabases {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly settings: DatabaseSettings[],
    private readonly logger: LoggerService,
  ) {}

  names(): string[] {
    return this.settings.map(s => s.name);
  }

  /** Throws a 400 naming the configured databases when `name` is not one of them. */
  pool(name: string, annotation?: string): Pool {
    const s = this.settings.find(d => d.name === name);
    if (!s)
      throw unknownNameError('database', name, this.names(), {
        annotation,
        addWhere: 'streaming.timescale.databases',
      });
    let pool = this.pools.get(name);
    if (!pool) {
      const base: PoolConfig =
        typeof s.connection === 'string'
          ? { connectionString: s.connection }
          : { ...s.connection };
      if (s.ssl !== undefined) base.ssl = s.ssl;
      pool = new Pool({
        ...base,
        max: s.maxConnections,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: 5_000,
        // A stats page must never hold a query open against a busy database.
        statement_timeout: 10_000,
        application_name: 'backstage-streaming',
      });
      pool.on('error', error =>
        this.logger.warn(
          `database ${name}: idle client error: ${error.message}`,
        ),
      );
      this.pools.set(name, pool);
    }
    return pool;
  }

  async close() {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map(p => p.end().catch(() => undefined)));
  }
}
