/**
 * An error in the write path that is neither an outage of the database nor
 * Kafka's is a bug, and waiting cannot fix it: the sink tries the chunk a
 * bounded number of times, then keeps the partition paused and stops
 * reporting live, instead of retrying forever behind a green health check.
 */
import { testInfra } from '@homelab/infra';
import { canonicalRecord, eventually } from '@homelab/test-kit';
import { createSink, type Sink } from './sink';
import {
  connectProducer,
  count,
  createTestTopics,
  dropSchema,
  produceRecords,
  testCase,
  testLogger,
} from './__testUtils__/harness';

jest.setTimeout(120_000);

const infra = testInfra();

describe('a bug in the write path', () => {
  // Short backoffs only to keep the test quick; the defaults (200 ms to 30 s)
  // are the same code path, covered by config.test.ts.
  let t: ReturnType<typeof testCase>;
  let sink: Sink | undefined;

  beforeAll(() => {
    t = testCase(infra.kafkaBrokers, infra.timescaleUrl, {
      retry: { recordAttempts: 3, initialBackoffMs: 50, maxBackoffMs: 200 },
    });
  });
  afterAll(async () => {
    await sink?.stop('test done');
    if (t) await dropSchema(infra.timescaleUrl, t.schema);
  });

  it('is tried retry.recordAttempts times, then the partition stays paused and /health says not live, naming the error', async () => {
    await createTestTopics(infra.kafkaBrokers, t.topics);
    sink = createSink(t.config, {
      logger: testLogger(),
      onBatch: () => {
        throw new Error('a bug after the commit');
      },
    });
    await sink.start();
    expect(sink.health().live).toBe(true);

    const producer = await connectProducer(infra.kafkaBrokers);
    try {
      await produceRecords(producer, t.topics.energy, [
        canonicalRecord('energy', 'meter-1', { power_kw: 1.5 }, new Date()),
      ]);
    } finally {
      await producer.disconnect();
    }

    const report = await eventually(
      'the sink to report not live',
      () => {
        const h = sink!.health();
        return h.live ? undefined : h;
      },
      { timeoutMs: 60_000 },
    );
    expect(report.details?.crashed).toMatch(
      /energy.*:0 failed 3 times: a bug after the commit/,
    );
    expect(report.ready).toBe(false);
    const retries = await sink.metrics.registry
      .getSingleMetric('timescaledb_sink_db_retries_total')!
      .get();
    expect(
      retries.values.find(v => v.labels.class === 'unexpected')?.value,
    ).toBe(3);
    // The hook threw after the database commit: the reading is stored once,
    // however often the chunk was replayed.
    expect(await count(infra.timescaleUrl, t.schema, 'energy_readings')).toBe(
      1,
    );
  });
});
