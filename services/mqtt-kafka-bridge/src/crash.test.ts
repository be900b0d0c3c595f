import { MqttClient } from 'mqtt';
import {
  BridgeProcess,
  TopicReader,
  connectPublisher,
  eventually,
  spawnBridge,
  testConfig,
  uid,
  writeConfig,
} from './__testUtils__/harness';
import { testEnvironment } from './__testUtils__/environment';

/**
 * Test 3 of the issue: SIGKILL mid-stream loses nothing. What Kafka had not
 * acknowledged was never PUBACKed, so Mosquitto redelivers it to the
 * restarted bridge (same client id, persistent session).
 */
describe('bridge stopped mid-stream', () => {
  const env = testEnvironment();
  const N = 10_000;
  const running: BridgeProcess[] = [];
  let publisher: MqttClient | undefined;
  let reader: TopicReader | undefined;

  afterAll(async () => {
    await Promise.all(running.map(b => b.kill('SIGKILL')));
    await publisher?.endAsync();
    await reader?.stop();
  });

  // SIGKILL: nothing runs on the way out. SIGTERM: the graceful stop, which must not ack anything unproduced either.
  it.each(['SIGKILL', 'SIGTERM'] as const)(
    `%s: all ${N} numbered messages reach Kafka after a restart`,
    async signal => {
      const id = uid();
      const { config, prefix, topics } = testConfig({
        id,
        kafkaBrokers: env.kafkaBrokers,
        mqttUrl: env.mqttUrl,
      });
      const configFile = writeConfig(config);
      const first = spawnBridge(configFile);
      running.push(first);
      await first.opsPort();
      // The session must exist before publishing, or Mosquitto has nobody to queue for.
      await eventually('the bridge to subscribe', () =>
        first.stdout().includes('MQTT subscribed'),
      );
      reader = await TopicReader.start(env.kafkaBrokers, topics.energy);
      publisher = await connectPublisher(env.mqttUrl, `pub-${id}`);

      // About 2,500 msg/s, so the kill lands mid-stream.
      const published = (async () => {
        for (let seq = 0; seq < N; seq += 50) {
          const sends = [];
          for (let i = seq; i < Math.min(N, seq + 50); i++) {
            const payload = JSON.stringify({
              seq: i,
              power_kw: (i % 100) / 10,
              ts: Date.now(),
            });
            sends.push(
              publisher!.publishAsync(
                `${prefix}/energy/meter-${i % 7}`,
                payload,
                { qos: 1 },
              ),
            );
          }
          await Promise.all(sends);
          await new Promise(r => setTimeout(r, 20));
        }
      })();

      await reader.waitForCount(N / 5, 60_000);
      const exitCode = await first.kill(signal);
      const seenAtKill = reader.messages.length;

      const second = spawnBridge(configFile);
      running.push(second);
      await published;
      await second.opsPort();

      const seqs = new Set<number>();
      await eventually(
        `all ${N} sequence numbers in Kafka`,
        () => {
          seqs.clear();
          for (const m of reader!.messages)
            seqs.add(JSON.parse(m.value!.toString()).fields.seq);
          return seqs.size >= N;
        },
        120_000,
        500,
      );
      const missing = Array.from({ length: N }, (_, i) => i).filter(
        i => !seqs.has(i),
      );
      const duplicates = reader.messages.length - seqs.size;
      // eslint-disable-next-line no-console
      console.log(
        `${signal} test: ${N} published, stopped after ${seenAtKill} records in Kafka, ${reader.messages.length} records total, ` +
          `${duplicates} duplicates, ${missing.length} missing`,
      );
      expect(missing).toEqual([]);
      expect(exitCode).toBe(signal === 'SIGTERM' ? 0 : null);
      await second.kill('SIGTERM');
      await reader.stop();
      reader = undefined;
      await publisher.endAsync();
      publisher = undefined;
    },
    240_000,
  );
});
