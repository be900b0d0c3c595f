import { testInfra } from '@homelab/infra';
import { createSink } from './sink';
import { createPool } from './store';
import { DatabaseRightsError, migrate } from './migrations';
import {
  connectProducer,
  createTestTopics,
  dropSchema,
  produceRecords,
  query,
  testCase,
  testConfig,
  testLogger,
  waitForRows,
} from './__testUtils__/harness';
import { canonicalRecord } from '@homelab/test-kit';

jest.setTimeout(120_000);

const infra = testInfra();

describe('timescaledb-sink on plain PostgreSQL', () => {
  const { id, topics, config, schema } = testCase(
    infra.kafkaBrokers,
    infra.databaseUrl,
    { rawArchive: { enabled: true } },
  );

  afterAll(() => dropSchema(infra.databaseUrl, schema));

  it('runs the same data flow without TimescaleDB features, and says so once', async () => {
    await createTestTopics(infra.kafkaBrokers, topics, 3);
    const logger = testLogger();
    const warn = jest.spyOn(logger, 'warn');
    const sink = createSink(config, { logger });
    await sink.start();
    try {
      expect(sink.migration?.timescale).toBe(false);
      const said = warn.mock.calls.map(
        call => call.find(a => typeof a === 'string') as string,
      );
      expect(
        said.filter(l => l?.includes('TimescaleDB not available')),
      ).toEqual([
        'TimescaleDB not available: using plain PostgreSQL tables without hypertables, continuous aggregates, compression or retention',
      ]);

      const producer = await connectProducer(infra.kafkaBrokers);
      const base = Date.parse('2026-01-03T00:00:00Z');
      await produceRecords(
        producer,
        topics.energy,
        Array.from({ length: 300 }, (_, i) =>
          canonicalRecord(
            'energy',
            `meter-${i % 3}`,
            {
              power_kw: i,
              voltage: 230,
            },
            new Date(base + i * 1000),
          ),
        ),
      );
      await produceRecords(producer, topics.heatpump, [
        canonicalRecord(
          'heatpump',
          'hp',
          {
            d0: 5.2,
            d5: 35,
            d6: 30.5,
          },
          new Date(base),
        ),
      ]);
      await produceRecords(producer, topics.temperature, [
        canonicalRecord(
          'temperature',
          't1',
          {
            temperature_c: -3.5,
            lux: 10,
          },
          new Date(base),
        ),
      ]);
      await producer.disconnect();

      await waitForRows(infra.databaseUrl, schema, {
        energy_readings: 300,
        heatpump_readings: 1,
        temperature_readings: 1,
      });
      const [t] = await query(
        infra.databaseUrl,
        `SELECT temperature_c::float8 AS c, extra FROM "${schema}".temperature_readings`,
      );
      expect(t).toEqual({ c: -3.5, extra: { lux: 10 } });
      const [sum] = await query(
        infra.databaseUrl,
        `SELECT sum(power_kw)::int AS s FROM "${schema}".energy_readings`,
      );
      expect(sum.s).toBe((299 * 300) / 2);
      // The optional raw archive keeps every record verbatim, with its Kafka position.
      const [raw] = await query(
        infra.databaseUrl,
        `SELECT count(*)::int AS n, count(DISTINCT (topic, kafka_partition, kafka_offset))::int AS positions FROM "${schema}".iot_raw_data`,
      );
      expect(raw).toEqual({ n: 302, positions: 302 });
      const migrations = await query(
        infra.databaseUrl,
        `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
      );
      expect(migrations.map(m => m.version)).toContain(
        '0001_energy_readings_table',
      );
      const lag = await sink.metrics.registry.getSingleMetricAsString(
        'timescaledb_sink_consumer_lag',
      );
      const energyLag = lag
        .split('\n')
        .filter(l => l.includes(`topic="${topics.energy}"`));
      expect(energyLag.length).toBeGreaterThan(0);
      for (const line of energyLag) expect(line).toMatch(/ 0$/);
      expect(sink.health()).toMatchObject({
        live: true,
        ready: true,
        details: { timescale: false },
      });
    } finally {
      await sink.stop('test done');
    }
  });

  it('tells which right to grant when the user may not create the schema', async () => {
    const role = `sink_nopriv_${id}`;
    const db = `sinkdb_${id}`;
    await query(infra.databaseUrl, `CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
    await query(infra.databaseUrl, `CREATE DATABASE ${db}`);
    try {
      await query(
        infra.databaseUrl.replace(/\/[^/]*$/, `/${db}`),
        `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
      );
      const url = new URL(infra.databaseUrl);
      url.username = role;
      url.password = 'pw';
      url.pathname = `/${db}`;
      const unprivileged = testConfig({
        brokers: infra.kafkaBrokers,
        url: url.toString(),
        id,
      });
      const pool = createPool(unprivileged, testLogger());
      try {
        const attempt = migrate(pool, unprivileged, testLogger());
        await expect(attempt).rejects.toBeInstanceOf(DatabaseRightsError);
        await expect(migrate(pool, unprivileged, testLogger())).rejects.toThrow(
          `GRANT CREATE ON DATABASE "${db}" TO "${role}";`,
        );
      } finally {
        await pool.end();
      }
      // An existing schema the user may not create tables in.
      const inPublic = testConfig({
        brokers: infra.kafkaBrokers,
        url: url.toString(),
        id,
        overrides: { database: { url: url.toString(), schema: 'public' } },
      });
      const publicPool = createPool(inPublic, testLogger());
      try {
        await expect(
          migrate(publicPool, inPublic, testLogger()),
        ).rejects.toThrow(
          `may not create tables in schema "public": permission denied for schema public. Grant it with: GRANT USAGE, CREATE ON SCHEMA "public" TO "${role}";`,
        );
      } finally {
        await publicPool.end();
      }
    } finally {
      // WITH (FORCE): the test's own query connection to it is still open.
      await query(
        infra.databaseUrl,
        `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`,
      );
      await query(infra.databaseUrl, `DROP ROLE IF EXISTS ${role}`);
    }
  });
});
