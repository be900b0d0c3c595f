import { Client } from 'pg';
import { testInfra } from '../testInfra';
import { unique } from '../testing';
import { startPostgres } from './server';

jest.setTimeout(120_000);

async function query<T = any>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL (shared instance)', () => {
  it('is PostgreSQL 15 with a user that may create databases, as Backstage needs', async () => {
    const { databaseUrl } = testInfra();
    const [role] = await query(
      databaseUrl,
      'SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user',
    );
    expect(role.rolsuper || role.rolcreatedb).toBe(true);
    const [{ server_version_num }] = await query(
      databaseUrl,
      'SHOW server_version_num',
    );
    expect(Number(server_version_num)).toBeGreaterThanOrEqual(150000);
  });
});

describe('startPostgres', () => {
  it('creates databases and keeps data across restart()', async () => {
    const server = await startPostgres();
    try {
      expect(server.url).toBe(
        `postgres://homelab:homelab@127.0.0.1:${server.port}/homelab`,
      );
      const name = unique('plugin').replace(/-/g, '_');
      const url = await server.createDatabase(name);
      expect(await server.createDatabase(name)).toBe(url);
      await query(
        url,
        'CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)',
      );
      await server.restart();
      expect(await query(url, 'SELECT id FROM kept')).toEqual([{ id: 42 }]);
      await expect(server.createDatabase('bad"name')).rejects.toThrow(
        /Invalid database name/,
      );
    } finally {
      await server.stop();
    }
  });
});
