import { MqttClient } from 'mqtt';
import { RunningBridge } from './bridge';
import {
  TopicReader,
  connectPublisher,
  metric,
  startTestBridge,
  testConfig,
} from './__testUtils__/harness';
import { uid } from '@homelab/test-kit';
import { testEnvironment } from './__testUtils__/environment';
import { expectAllNumbers, publishNumbered } from './__testUtils__/numbered';

/** Two replicas in one `$share` group split the messages between them, and together deliver all. */
describe('replicas with a shared subscription', () => {
  const env = testEnvironment();
  const bridges: RunningBridge[] = [];
  let publisher: MqttClient | undefined;
  let reader: TopicReader | undefined;

  afterAll(async () => {
    await reader?.stop();
    await publisher?.endAsync();
    await Promise.all(bridges.map(b => b.stop('test end')));
  });

  it('splits the load and loses nothing', async () => {
    const id = uid();
    const { config, prefix, topics } = testConfig({
      id,
      kafkaBrokers: env.kafkaBrokers,
      mqttUrl: env.mqttUrl,
    });
    for (const replica of [0, 1]) {
      const replicaConfig = {
        ...config,
        mqtt: {
          ...config.mqtt,
          clientId: `bridge-${id}-${replica}`,
          sharedGroup: `g${id}`,
        },
      };
      bridges.push(
        await startTestBridge(replicaConfig, `bridge-shared-${replica}`),
      );
    }
    reader = await TopicReader.start(env.kafkaBrokers, topics.energy);
    publisher = await connectPublisher(env.mqttUrl, `pub-${id}`);
    await publishNumbered(publisher, `${prefix}/energy`, 0, 2000, 2000);

    const { duplicates } = await expectAllNumbers(reader, 2000, 60_000);
    expect(duplicates).toBe(0);
    const perReplica = await Promise.all(
      bridges.map(b =>
        metric(b.opsPort, 'bridge_kafka_records_produced_total'),
      ),
    );
    expect(perReplica[0] + perReplica[1]).toBe(2000);
    expect(Math.min(...perReplica)).toBeGreaterThan(0);
  }, 120_000);
});
