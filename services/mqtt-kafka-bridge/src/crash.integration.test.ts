import { MosquittoServer, startMosquitto } from '@homelab/infra';
import { MqttClient } from 'mqtt';
import {
  BridgeProcess,
  TopicReader,
  connectPublisher,
  spawnBridge,
  testConfig,
  writeConfig,
} from './__testUtils__/harness';
import { eventually, uid } from '@homelab/test-kit';
import { testEnvironment } from './__testUtils__/environment';

/**
 * SIGKILL mid-stream loses nothing. What Kafka had not
 * acknowledged was never PUBACKed, so Mosquitto redelivers it to the
 * restarted bridge (same client id, persistent session).
 */
describe('bridge stopped mid-stream', () => {
  const { kafkaBrokers } = testEnvironment();
  const env = { kafkaBrokers, mqttUrl: '' };
  const N = 10_000;
  const running: BridgeProcess[] = [];
  let publisher: MqttClient | undefined;
  let reader: TopicReader | undefined;
  let mosquitto: MosquittoServer;

  // A bridge process takes seconds to start on a loaded test machine; at 2,500 msg/s that
  // is more than Mosquitto's stock 1,000 queued messages. A user sizes
  // max_queued_messages for rate × downtime (docs/operations.md); so does this test.
  beforeAll(async () => {
    mosquitto = await startMosquitto({ maxQueuedMessages: 50_000 });
    env.mqttUrl = mosquitto.url;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.map(b => b.kill('SIGKILL')));
    await publisher?.endAsync();
    await reader?.stop();
    await mosquitto?.stop();
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
        { timeoutMs: 120_000, intervalMs: 500 },
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

  it('stores every timestamp-less reading with a stamp of its own across 3 SIGKILLs', async () => {
    const id = uid();
    const { config, prefix, topics } = testConfig({
      id,
      kafkaBrokers: env.kafkaBrokers,
      mqttUrl: env.mqttUrl,
    });
    const configFile = writeConfig(config);
    let bridge = spawnBridge(configFile);
    running.push(bridge);
    await eventually(
      'the bridge to subscribe',
      () => bridge.stdout().includes('MQTT subscribed'),
      { timeoutMs: 60_000 },
    );
    reader = await TopicReader.start(env.kafkaBrokers, topics.energy);
    publisher = await connectPublisher(env.mqttUrl, `pub-${id}`);
    const total = 3000;
    // Bursts of 100 for 3 devices, no ts: many readings of one device share a millisecond.
    const published = (async () => {
      const device = publisher!;
      for (let seq = 0; seq < total; seq += 100) {
        const from = seq;
        await Promise.all(
          Array.from({ length: 100 }, (_, k) =>
            device.publishAsync(
              `${prefix}/energy/meter-${(from + k) % 3}`,
              JSON.stringify({ seq: from + k, power_kw: 1 }),
              { qos: 1 },
            ),
          ),
        );
        await new Promise(r => setTimeout(r, 50));
      }
    })();
    for (let kill = 1; kill <= 3; kill++) {
      await reader.waitForCount((kill * total) / 4, 120_000);
      await bridge.kill('SIGKILL');
      bridge = spawnBridge(configFile);
      running.push(bridge);
    }
    await published;

    const stampOf = new Map<string, number>();
    const seqs = new Set<number>();
    await eventually(
      `all ${total} readings in Kafka`,
      () => {
        for (const m of reader!.messages)
          seqs.add(JSON.parse(m.value!.toString()).fields.seq);
        return seqs.size >= total;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    // A redelivered reading may be there twice (at-least-once), but two different readings never share a stamp.
    const clashes: string[] = [];
    for (const m of reader.messages) {
      const r = JSON.parse(m.value!.toString());
      const key = `${r.device_id}@${r.ts}`;
      const other = stampOf.get(key);
      if (other !== undefined && other !== r.fields.seq)
        clashes.push(`${key}: ${other} and ${r.fields.seq}`);
      stampOf.set(key, r.fields.seq);
    }
    // eslint-disable-next-line no-console
    console.log(
      `timestamp-less readings over 3 SIGKILLs: ${total} published, ${reader.messages.length} records, ${stampOf.size} distinct (device, ts)`,
    );
    expect(clashes).toEqual([]);
    expect(stampOf.size).toBeGreaterThanOrEqual(total);
    await reader.stop();
    reader = undefined;
  }, 400_000);
});
