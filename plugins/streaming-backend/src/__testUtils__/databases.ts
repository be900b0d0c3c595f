import { TestDatabases } from '@backstage/backend-test-utils';

/**
 * Backstage's TestDatabases on the PostgreSQL that `homelab-infra exec`
 * started (DATABASE_URL): every `init` gives a fresh, empty database.
 */
export function pluginTestDatabases(): TestDatabases {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      'DATABASE_URL is not set: run the tests through `node packages/infra/bin/homelab-infra.mjs exec -- …`',
    );
  }
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING = url;
  return TestDatabases.create({ ids: ['POSTGRES_15'], disableDocker: true });
}
