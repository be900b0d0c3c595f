/*
 * streaming.timescale.databases[].sslmode against a real PostgreSQL with TLS
 * on, its certificate signed by a CA made with openssl in the test.
 */
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import {
  CertificateAuthority,
  createCertificateAuthority,
  PostgresServer,
  startPostgres,
} from '@homelab/infra';
import { readDatabaseSettings, TimescaleDatabases } from './databases';

jest.setTimeout(120_000);

let ca: CertificateAuthority;
let stranger: CertificateAuthority;
let server: PostgresServer;

beforeAll(async () => {
  ca = await createCertificateAuthority('postgres-test-ca');
  stranger = await createCertificateAuthority('stranger-ca');
  server = await startPostgres({ tls: await ca.issueServer('postgres') });
});

afterAll(() => server?.stop());

function databases(entry: Record<string, unknown>) {
  return new TimescaleDatabases(
    readDatabaseSettings(
      new ConfigReader({
        streaming: {
          timescale: {
            databases: [{ name: 'db', connection: server.url, ...entry }],
          },
        },
      }),
    ),
    mockServices.logger.mock(),
  );
}

/** Whether the pool's connection is encrypted, as the server sees it. */
async function encrypted(entry: Record<string, unknown>): Promise<boolean> {
  const dbs = databases(entry);
  try {
    const { rows } = await dbs
      .pool('db')
      .query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return rows[0].ssl;
  } finally {
    await dbs.close();
  }
}

describe('TimescaleDB connections with sslmode', () => {
  it('verifies the server against sslrootcert (verify-full, verify-ca) and encrypts', async () => {
    expect(
      await encrypted({ sslmode: 'verify-full', sslrootcert: ca.caFile }),
    ).toBe(true);
    expect(await encrypted({ sslmode: 'verify-ca', ca: ca.ca })).toBe(true);
  });

  it('encrypts without verifying on require, and not at all on disable', async () => {
    expect(await encrypted({ sslmode: 'require' })).toBe(true);
    expect(await encrypted({ sslmode: 'disable' })).toBe(false);
  });

  it('refuses a server whose certificate the CA did not sign', async () => {
    await expect(
      encrypted({ sslmode: 'verify-full', sslrootcert: stranger.caFile }),
    ).rejects.toThrow(/self[- ]signed certificate|unable to verify/);
    // The same database still answers with the right CA.
    expect(
      await encrypted({ sslmode: 'verify-full', sslrootcert: ca.caFile }),
    ).toBe(true);
  });

  it('names the key of a bad setting at start', () => {
    expect(() => databases({ sslmode: 'verify-full' })).toThrow(
      'streaming.timescale.databases[db].sslrootcert: is required with sslmode verify-full',
    );
    expect(() =>
      databases({ sslmode: 'verify-ca', sslrootcert: '/no/such/ca.crt' }),
    ).toThrow(
      'streaming.timescale.databases[db].sslrootcert: cannot read /no/such/ca.crt: ENOENT',
    );
    expect(() => databases({ sslmode: 'prefer' })).toThrow(
      'streaming.timescale.databases[db].sslmode must be one of disable, require, verify-ca, verify-full, got "prefer"',
    );
  });
});
