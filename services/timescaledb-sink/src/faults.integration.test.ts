/**
 * Faults under load on a Kafka of the test's own, which keeps Kafka's
 * production group rebalance delay (group.initial.rebalance.delay.ms 3000):
 * a broker restart, and two sink instances sharing the group. Each ends with
 * every reading stored exactly once, counted by device and sequence.
 */
import { KafkaCluster, startKafka, testInfra } from '@homelab/infra';
import type { Sink } from './sink';
import {
  connectProducer,
  count,
  createTestTopics,
  dropSchema,
  exactlyOnce,
  sendUntilAccepted,
  sequencedReadings,
  sequencesByDevice,
  startTestSink,
  testCase,
} from './__testUtils__/harness';
import { eventually } from '@homelab/test-kit';

jest.setTimeout(420_000);

const infra = testInfra();
const url = infra.databaseUrl;
const DEVICES = 6;
const PER_DEVICE = 500;
const N = DEVICES * PER_DEVICE;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('faults under load, with the production group rebalance delay', () => {
  let kafka: KafkaCluster;
  const sinks: Sink[] = [];
  const schemas: string[] = [];

  beforeAll(async () => {
    kafka = await startKafka({ groupInitialRebalanceDelayMs: 3000 });
  }, 180_000);

  afterAll(async () => {
    for (const s of sinks) await s.stop('test done').catch(() => undefined);
    for (const s of schemas) await dropSchema(url, s);
    await kafka?.stop();
  });

  /**
   * Produces the readings in small sends, as devices would, riding out
   * faults; `pauseMs` between sends keeps records coming for as long as a
   * fault or a second instance needs to arrive mid-stream.
   */
  async function produceSteadily(topic: string, prefix: string, pauseMs = 50) {
    const producer = await connectProducer(kafka.brokers);
    const readings = sequencedReadings(prefix, DEVICES, PER_DEVICE);
    try {
      for (let i = 0; i < readings.length; i += 100) {
        await sendUntilAccepted(producer, topic, readings.slice(i, i + 100));
        await sleep(pauseMs);
      }
    } finally {
      await producer.disconnect();
    }
  }

  async function expectEveryReadingOnce(schema: string, prefix: string) {
    await eventually(
      `${N} rows`,
      async () => (await count(url, schema, 'energy_readings')) === N,
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    expect(await sequencesByDevice(url, schema)).toEqual(
      exactlyOnce(prefix, DEVICES, PER_DEVICE),
    );
  }

  /** Waits until the sink has written some rows, so the fault lands under load. */
  async function underLoad(schema: string) {
    await eventually(
      'the first rows',
      async () => (await count(url, schema, 'energy_readings')) >= 500,
      { timeoutMs: 120_000, intervalMs: 50 },
    );
  }

  function setUp() {
    const c = testCase(kafka.brokers, url, {
      batch: { maxRows: 200, maxWaitMs: 50 },
    });
    schemas.push(c.schema);
    return c;
  }

  it('a Kafka broker restart: the sink waits, then stores every reading exactly once', async () => {
    const { topics, config, schema } = setUp();
    await createTestTopics(kafka.brokers, topics, 3);
    const sink = await startTestSink(config);
    sinks.push(sink);
    const flowing = produceSteadily(topics.energy, 'kafka-restart');

    await underLoad(schema);
    await kafka.stopBroker(0);
    await sleep(3000);
    await kafka.startBroker(0);
    await flowing;

    await expectEveryReadingOnce(schema, 'kafka-restart');
    expect(sink.health().live).toBe(true);
  });

  it('two sink instances rebalancing: partitions move, every reading is stored exactly once', async () => {
    const { topics, config, schema } = setUp();
    await createTestTopics(kafka.brokers, topics, 3);
    const first = await startTestSink(config);
    sinks.push(first);
    // 30 sends over ~12 s: the second instance (its start and the group's
    // 3 s rebalance delay) joins while records still arrive, however fast
    // the first one drains. The devices rebalancing-0…5 hash onto all three
    // partitions (the "rebalance-" ones left partition 2 empty), so the
    // second has records to write whichever partitions it is given.
    const flowing = produceSteadily(topics.energy, 'rebalancing', 400);

    await underLoad(schema);
    const second = await startTestSink(config);
    sinks.push(second);
    await eventually(
      'the second instance to write',
      async () =>
        (
          await second.metrics.registry.getSingleMetricAsString(
            'timescaledb_sink_rows_written_total',
          )
        ).match(/energy_readings"} [1-9]/),
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    // The first instance leaves mid-stream; the second takes its partitions.
    await first.stop('scale down');
    await flowing;

    await expectEveryReadingOnce(schema, 'rebalancing');
    await eventually('the second instance ready', () => second.health().ready, {
      timeoutMs: 60_000,
    });
  });
});
