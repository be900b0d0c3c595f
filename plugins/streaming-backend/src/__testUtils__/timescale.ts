import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import {
  readDatabaseSettings,
  TimescaleDatabases,
} from '../service/timescale/databases';
import { TimescaleService } from '../service/timescale/TimescaleService';

/** A TimescaleService without cache on one database named "db" at `url`; for integration tests. */
export function testTimescaleService(url: string, maxConnections: number) {
  const databases = new TimescaleDatabases(
    readDatabaseSettings(
      new ConfigReader({
        streaming: {
          timescale: {
            databases: [{ name: 'db', connection: url, maxConnections }],
          },
        },
      }),
    ),
    mockServices.logger.mock(),
  );
  return { databases, timescale: new TimescaleService(databases, 0) };
}

/**
 * A database of the test's own on the shared PostgreSQL server. Other test
 * files change the shared default database (one run lost its `public`
 * schema), so tables that rely on the default search path get a fresh one.
 */
export function ownDatabase(serverUrl: string, prefix: string) {
  const name = `${prefix}_${randomUUID().slice(0, 8)}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const run = async (statement: string) => {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  return {
    url: url.toString(),
    create: () => run(`CREATE DATABASE "${name}"`),
    drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}
