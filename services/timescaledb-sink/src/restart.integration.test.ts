import { startPostgres, startTimescale, testInfra } from '@homelab/infra';
import type { Sink } from './sink';
import {
  connectProducer,
  count,
  createTestTopics,
  exactlyOnce,
  produceRecords,
  sequencedReadings,
  sequencesByDevice,
  startTestSink,
  testConfig,
  testTopics,
} from './__testUtils__/harness';
import { eventually, uid } from '@homelab/test-kit';

jest.setTimeout(300_000);

const infra = testInfra();
const N = 6_000;

interface RestartableDatabase {
  url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

describe.each([
  // Our own servers: restarting the shared ones would break other tests.
  ['PostgreSQL', 'pg', (): Promise<RestartableDatabase> => startPostgres()],
  // File-backed, so its data survives the restart.
  [
    'TimescaleDB (PGlite)',
    'pglite',
    (): Promise<RestartableDatabase> => startTimescale(),
  ],
])('%s restart mid-stream', (name, prefix, start) => {
  let database: RestartableDatabase | undefined;
  let sink: Sink | undefined;

  afterAll(async () => {
    await sink?.stop('test done');
    await database?.stop();
  });

  it(`pauses while ${name} is gone, resumes, and loses nothing (counted by device and sequence)`, async () => {
    database = await start();
    const { url } = database;
    const id = uid();
    const topics = testTopics(id);
    await createTestTopics(infra.kafkaBrokers, topics, 3);
    const config = testConfig({
      brokers: infra.kafkaBrokers,
      url,
      id,
      overrides: { batch: { maxRows: 200, maxWaitMs: 50 } },
    });
    const schema = config.database.schema;
    sink = await startTestSink(config);

    const records = sequencedReadings(prefix, 5, N / 5);
    const producer = await connectProducer(infra.kafkaBrokers);
    const flowing = (async () => {
      for (let i = 0; i < N; i += 200) {
        await produceRecords(
          producer,
          topics.energy,
          records.slice(i, i + 200),
        );
        await new Promise(r => setTimeout(r, 50));
      }
    })();

    await eventually(
      'the first rows',
      async () => (await count(url, schema, 'energy_readings')) >= 600,
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    const seenNotReady = eventually(
      'the sink to report the database outage',
      () => !sink!.health().ready,
      { timeoutMs: 120_000, intervalMs: 20 },
    );
    await database.restart();
    await seenNotReady;

    await flowing;
    await producer.disconnect();
    await eventually(
      'every record stored',
      async () => (await count(url, schema, 'energy_readings')) === N,
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    await eventually('the sink to be ready again', () => sink!.health().ready, {
      timeoutMs: 60_000,
    });

    const retries = await sink.metrics.registry.getSingleMetricAsString(
      'timescaledb_sink_db_retries_total',
    );
    expect(retries).toMatch(/class="transient"} [1-9]/);
    expect(await sequencesByDevice(url, schema)).toEqual(
      exactlyOnce(prefix, 5, N / 5),
    );
  });
});
