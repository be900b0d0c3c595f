import { MqttClient } from 'mqtt';
import { RunningBridge } from './bridge';
import {
  TopicReader,
  connectPublisher,
  health,
  startTestBridge,
  testConfig,
} from './__testUtils__/harness';
import { eventually, uid } from '@homelab/test-kit';
import { testEnvironment } from './__testUtils__/environment';
import { expectAllNumbers } from './__testUtils__/numbered';

/**
 * limits.maxPendingBytes stops the bridge reading while the payloads it holds
 * unacknowledged reach the bound. Far below the payloads' sizes it must
 * still take one message at a time, however large, and lose none.
 */
describe('the pending-bytes bound', () => {
  const env = testEnvironment();
  const id = uid();
  const { config, prefix, topics } = testConfig({
    id,
    kafkaBrokers: env.kafkaBrokers,
    mqttUrl: env.mqttUrl,
  });
  Object.assign(config, { limits: { maxPendingBytes: 4096 } });
  let bridge: RunningBridge;
  let publisher: MqttClient;
  let energy: TopicReader;

  beforeAll(async () => {
    bridge = await startTestBridge(config, 'bridge-pending-bytes');
    publisher = await connectPublisher(env.mqttUrl, `pub-${id}`);
    energy = await TopicReader.start(env.kafkaBrokers, topics.energy);
  }, 60_000);

  afterAll(async () => {
    await energy?.stop();
    await publisher?.endAsync();
    await bridge?.stop('test end');
  });

  it('bridges every message, including ones larger than the bound, and holds nothing after', async () => {
    const count = 300;
    // 3 KB and, every 50th, 100 KB: most of them alone fill the bound.
    await Promise.all(
      Array.from({ length: count }, (_, seq) =>
        publisher.publishAsync(
          `${prefix}/energy/meter-${seq % 3}`,
          JSON.stringify({
            seq,
            power_kw: 1,
            note: 'x'.repeat(seq % 50 === 0 ? 100_000 : 3_000),
          }),
          { qos: 1 },
        ),
      ),
    );
    const { duplicates } = await expectAllNumbers(energy, count, 60_000);
    expect(duplicates).toBe(0);
    const details = await eventually('no acknowledgement pending', async () => {
      const h = await health(bridge.opsPort);
      return h.details.pendingAcks === 0 && h.details;
    });
    expect(details.kafka.queued).toBe(0);
  }, 90_000);
});
