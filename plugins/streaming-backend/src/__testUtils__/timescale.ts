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
