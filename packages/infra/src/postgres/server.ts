import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { HOST, portOrFree } from '../ports';
import { chownTo, serviceUser } from '../process/osUser';
import { runOrThrow } from '../process/run';
import { supervise, Supervised } from '../process/supervisor';
import { waitReady } from '../process/waitReady';
import { makeRunDir } from '../tmp';
import { startLifecycle } from '../process/lifecycle';
import { postgresBinary } from './binaries';
import { writeSecretFile } from './secretFile';

export interface StartPostgresOptions {
  port?: number;
  /** Keep fsync on (default off: the data is throwaway and tests run faster). */
  fsync?: boolean;
  startTimeoutMs?: number;
  /**
   * Turns on TLS (`ssl=on`) with this server certificate and key (PEM), e.g.
   * from createCertificateAuthority(); clients may still connect without
   * TLS. Absent: no TLS, as before.
   */
  tls?: { certFile: string; keyFile: string };
}

export interface PostgresServer {
  /** postgres://homelab:<password>@127.0.0.1:<port>/homelab, the DATABASE_URL format. */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  stop(): Promise<void>;
  /** Stops and starts the server on the same port and data. */
  restart(): Promise<void>;
  /** Creates a database (if missing) owned by the user and returns its URL. */
  createDatabase(name: string): Promise<string>;
}

export const DEV_USER = 'homelab';
export const DEV_DATABASE = 'homelab';

/**
 * A fresh password for every server: loopback is shared by every local user
 * and process, so a well-known password would let any of them in.
 */
export function devPassword(): string {
  return randomBytes(24).toString('base64url');
}

export function postgresUrl(
  port: number,
  database: string,
  password: string,
): string {
  return `postgres://${DEV_USER}:${encodeURIComponent(
    password,
  )}@${HOST}:${port}/${database}`;
}

function assertIdentifier(name: string) {
  // Backstage names its databases like backstage_plugin_catalog; anything else is a typo or an injection.
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/.test(name))
    throw new Error(`Invalid database name ${JSON.stringify(name)}`);
}

async function withClient<T>(
  url: string,
  task: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: 2000,
  });
  await client.connect();
  try {
    return await task(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startPostgres(
  options: StartPostgresOptions = {},
): Promise<PostgresServer> {
  const initdb = postgresBinary('initdb');
  const postgres = postgresBinary('postgres');
  const user = serviceUser('postgres', 'the postgresql Debian package');
  const port = await portOrFree(options.port, 'PostgreSQL');
  const password = devPassword();
  const urlOf = (database: string) => postgresUrl(port, database, password);
  const dir = makeRunDir('postgres');
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  chownTo(user, dataDir);
  const asUser = { uid: user?.uid, gid: user?.gid, cwd: dir };
  const tlsArgs: string[] = [];
  if (options.tls) {
    // PostgreSQL refuses a key that others can read, so it gets its own 0600 copy.
    const certFile = path.join(dir, 'server.crt');
    const keyFile = path.join(dir, 'server.key');
    copyFileSync(options.tls.certFile, certFile);
    writeSecretFile(keyFile, readFileSync(options.tls.keyFile, 'utf8'), user);
    chownTo(user, certFile);
    tlsArgs.push(
      '-c',
      'ssl=on',
      '-c',
      `ssl_cert_file=${certFile}`,
      '-c',
      `ssl_key_file=${keyFile}`,
    );
  }

  let child: Supervised | undefined;
  async function launch() {
    child = supervise({
      name: `PostgreSQL (${HOST}:${port})`,
      command: postgres,
      args: [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        `listen_addresses=${HOST}`,
        // Inside the data dir: no clash with a system PostgreSQL over /var/run/postgresql.
        '-c',
        `unix_socket_directories=${dataDir}`,
        '-c',
        'max_connections=200',
        '-c',
        `fsync=${options.fsync ? 'on' : 'off'}`,
        '-c',
        `synchronous_commit=${options.fsync ? 'on' : 'off'}`,
        '-c',
        `full_page_writes=${options.fsync ? 'on' : 'off'}`,
        ...tlsArgs,
      ],
      logFile: path.join(dir, 'postgres.log'),
      ...asUser,
      // SIGINT is PostgreSQL's "fast shutdown": it does not wait for clients to disconnect.
      stopSignal: 'SIGINT',
      stopTimeoutMs: 20_000,
    });
    await waitReady(child, {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      check: () =>
        withClient(urlOf('postgres'), async c => !!(await c.query('SELECT 1'))),
    });
  }

  async function createDatabase(name: string): Promise<string> {
    assertIdentifier(name);
    await withClient(urlOf('postgres'), async client => {
      const { rowCount } = await client.query(
        'SELECT 1 FROM pg_database WHERE datname = $1',
        [name],
      );
      if (!rowCount) {
        await client.query(`CREATE DATABASE "${name}"`).catch(error => {
          // Two callers racing for the same database is fine.
          if (error.code !== '42P04') throw error;
        });
      }
    });
    return urlOf(name);
  }

  const lifecycle = await startLifecycle({
    dir,
    launch,
    current: () => child,
    firstStart: async () => {
      const pwfile = path.join(dir, 'pwfile');
      // Readable by initdb's user only, and gone once initdb has read it.
      writeSecretFile(pwfile, `${password}\n`, user);
      // The bootstrap superuser is our dev user, so Backstage can create its per-plugin databases.
      await runOrThrow(
        'initdb',
        initdb,
        [
          '-D',
          dataDir,
          '-U',
          DEV_USER,
          `--pwfile=${pwfile}`,
          '--auth-host=scram-sha-256',
          '--auth-local=trust',
          '--encoding=UTF8',
          '--locale=C',
          '--no-sync',
        ],
        { ...asUser, timeoutMs: 120_000 },
      );
      rmSync(pwfile);
      await launch();
      await createDatabase(DEV_DATABASE);
    },
  });

  return {
    url: urlOf(DEV_DATABASE),
    host: HOST,
    port,
    user: DEV_USER,
    password,
    database: DEV_DATABASE,
    ...lifecycle,
    createDatabase,
  };
}
