import { PostgresServer, startPostgres, testInfra } from '@homelab/infra';
import type { Sink } from './sink';
import {
  canonical,
  connectProducer,
  count,
  createTestTopics,
  produceRecords,
  query,
  startTestSink,
  testConfig,
  testTopics,
  uid,
  waitFor,
} from './testkit';

jest.setTimeout(240_000);

const infra = testInfra();
const N = 6_000;

describe('PostgreSQL restart mid-stream', () => {
  let postgres: PostgresServer | undefined;
  let sink: Sink | undefined;

  afterAll(async () => {
    await sink?.stop('test done');
    await postgres?.stop();
  });

  it('pauses while the database is gone, resumes, and loses nothing', async () => {
    // Our own server: restarting the shared one would break other tests.
    postgres = await startPostgres();
    const id = uid();
    const topics = testTopics(id);
    await createTestTopics(infra.kafkaBrokers, topics, 3);
    const config = testConfig({
      brokers: infra.kafkaBrokers,
      url: postgres.url,
      id,
      overrides: { batch: { maxRows: 200, maxWaitMs: 50 } },
    });
    const schema = config.database.schema;
    sink = await startTestSink(config);

    const base = Date.parse('2026-01-01T00:00:00Z');
    const records = Array.from({ length: N }, (_, i) =>
      canonical('energy', `meter-${i % 5}`, new Date(base + i * 1000), {
        power_kw: i,
      }),
    );
    const producer = await connectProducer(infra.kafkaBrokers);
    let produced = 0;
    const flowing = (async () => {
      for (; produced < N; produced += 200) {
        await produceRecords(
          producer,
          topics.energy,
          records.slice(produced, produced + 200),
        );
        await new Promise(r => setTimeout(r, 50));
      }
    })();

    await waitFor(
      'the first rows',
      async () =>
        (await count(postgres!.url, schema, 'energy_readings')) >= 600,
      60_000,
      50,
    );
    const seenNotReady = waitFor(
      'the sink to report the database outage',
      () => !sink!.health().ready,
      60_000,
      20,
    );
    await postgres.restart();
    await seenNotReady;

    await flowing;
    await producer.disconnect();
    await waitFor(
      'every record stored',
      async () => (await count(postgres!.url, schema, 'energy_readings')) === N,
      120_000,
      250,
    );
    await waitFor('the sink to be ready again', () => sink!.health().ready);

    const retries = await sink.metrics.registry.getSingleMetricAsString(
      'timescaledb_sink_db_retries_total',
    );
    expect(retries).toMatch(/class="transient"} [1-9]/);
    const [{ n }] = await query<{ n: string }>(
      postgres.url,
      `SELECT count(DISTINCT (device_id, ts)) AS n FROM "${schema}".energy_readings`,
    );
    expect(Number(n)).toBe(N);
  });
});
