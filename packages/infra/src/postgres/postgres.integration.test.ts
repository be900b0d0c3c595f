import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { testInfra } from '../testInfra';
import { unique } from '@homelab/test-kit';
import { startPostgres } from './server';
import { writeSecretFile } from './secretFile';

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
        `postgres://homelab:${encodeURIComponent(server.password)}@127.0.0.1:${
          server.port
        }/homelab`,
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

describe('the development password', () => {
  it("is random per server, and neither the old default nor another run's password gets in", async () => {
    const [a, b] = [await startPostgres(), await startPostgres()];
    try {
      expect(a.password).not.toBe(b.password);
      expect(a.password.length).toBeGreaterThanOrEqual(24);
      expect(await query(a.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
      const withPassword = (password: string) =>
        `postgres://homelab:${encodeURIComponent(password)}@127.0.0.1:${
          a.port
        }/homelab`;
      for (const wrong of ['homelab', b.password]) {
        await expect(query(withPassword(wrong), 'SELECT 1')).rejects.toThrow(
          /password authentication failed/,
        );
      }
      // A normal connection still works after the refused ones.
      expect(await query(a.url, 'SELECT 2 AS two')).toEqual([{ two: 2 }]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('is only ever written to files that their owner alone can read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-file-'));
    const fresh = join(dir, 'pwfile');
    writeSecretFile(fresh, 'secret\n');
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    // An env file left from an earlier run with a wider mode is narrowed.
    const old = join(dir, 'infra.env');
    writeFileSync(old, 'DATABASE_URL=old\n', { mode: 0o644 });
    writeSecretFile(old, 'DATABASE_URL=new\n');
    expect(statSync(old).mode & 0o777).toBe(0o600);
  });
});
