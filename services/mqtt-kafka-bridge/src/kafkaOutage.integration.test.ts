import {
  KafkaCluster,
  MosquittoServer,
  startKafka,
  startMosquitto,
} from '@homelab/infra';
import { MqttClient } from 'mqtt';
import { RunningBridge } from './bridge';
import {
  BridgeProcess,
  TopicReader,
  connectPublisher,
  health,
  metric,
  spawnBridge,
  startTestBridge,
  testConfig,
  writeConfig,
} from './__testUtils__/harness';
import { eventually, uid } from '@homelab/test-kit';
import { startWireTap, WireTap } from './__testUtils__/mqttWireTap';
import { expectAllNumbers, publishNumbered } from './__testUtils__/numbered';

/**
 * Kafka (a dedicated one) goes down while devices keep publishing, against a
 * dedicated Mosquitto with its stock queue limit (max_queued_messages 1000):
 * the bridge stops acknowledging, Mosquitto keeps the messages, and after
 * Kafka returns everything arrives.
 */
describe('Kafka outage', () => {
  let kafka: KafkaCluster;
  let mosquitto: MosquittoServer;
  let mqttUrl: string;
  let bridge: RunningBridge | undefined;
  let publisher: MqttClient | undefined;
  let reader: TopicReader | undefined;
  let tap: WireTap | undefined;
  const spawned: BridgeProcess[] = [];

  beforeAll(async () => {
    [kafka, mosquitto] = await Promise.all([startKafka(), startMosquitto()]);
    mqttUrl = mosquitto.url;
  }, 180_000);

  afterEach(async () => {
    await reader?.stop().catch(() => {});
    await publisher?.endAsync();
    await bridge?.stop('test end');
    await Promise.all(spawned.splice(0).map(b => b.kill('SIGKILL')));
    await tap?.close();
    [reader, publisher, bridge, tap] = [
      undefined,
      undefined,
      undefined,
      undefined,
    ];
    // Every test leaves Kafka running.
    await kafka.startBroker(0).catch(() => {});
  }, 120_000);

  afterAll(async () => {
    await kafka?.stop();
    await mosquitto?.stop();
  }, 60_000);

  it('loses nothing while the broker is stopped for 20 s, and holds PUBACKs meanwhile', async () => {
    const id = uid();
    const { config, prefix, topics } = testConfig({
      id,
      kafkaBrokers: kafka.brokers,
      mqttUrl,
    });
    const window = 500;
    Object.assign(config.mqtt, { receiveMaximum: window });
    bridge = await startTestBridge(config, 'bridge-outage');
    const ops = bridge.opsPort;
    publisher = await connectPublisher(mqttUrl, `pub-${id}`);
    // 20 s × 40 msg/s = 800 held: within the 500 in flight plus Mosquitto's stock 1000 queued.
    const total = 1600;
    const rate = 40;

    const published = publishNumbered(
      publisher,
      `${prefix}/energy`,
      0,
      total,
      rate,
    );
    await eventually(
      'some records before the outage',
      async () =>
        (await metric(ops, 'bridge_kafka_records_produced_total')) > 200,
    );

    await kafka.stopBroker(0);
    const stoppedAt = Date.now();
    await eventually(
      'the bridge to notice',
      async () =>
        (await metric(ops, 'bridge_connection_up{peer="kafka"}')) === 0,
      { timeoutMs: 60_000 },
    );
    const acksWhileDown = await metric(ops, 'bridge_mqtt_pubacks_sent_total');
    await new Promise(r =>
      setTimeout(r, Math.max(0, 20_000 - (Date.now() - stoppedAt))),
    );
    expect(await metric(ops, 'bridge_mqtt_pubacks_sent_total')).toBe(
      acksWhileDown,
    );
    // Held, not acknowledged, and bounded by the in-flight window (MQTT 5 Receive Maximum): the rest waits at Mosquitto.
    const held = await metric(ops, 'bridge_pending_acks');
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(window);
    expect((await health(ops)).status).toBe('unavailable');
    await kafka.startBroker(0);

    await published;
    reader = await TopicReader.start(kafka.brokers, topics.energy);
    const { duplicates } = await expectAllNumbers(reader, total, 180_000);
    // eslint-disable-next-line no-console
    console.log(
      `Kafka outage test: ${total} published, ${reader.messages.length} records, ${duplicates} duplicates, 0 missing`,
    );
    await eventually(
      'all PUBACKs sent',
      async () => (await metric(ops, 'bridge_pending_acks')) === 0,
      { timeoutMs: 60_000 },
    );
    expect((await health(ops)).status).toBe('ok');
  }, 400_000);

  it('stays within receiveMaximum across 5 Mosquitto restarts and produces each message once', async () => {
    const id = uid();
    const { config, prefix, topics } = testConfig({
      id,
      kafkaBrokers: kafka.brokers,
      mqttUrl,
    });
    const window = 200;
    Object.assign(config.mqtt, { receiveMaximum: window });
    bridge = await startTestBridge(config, 'bridge-reconnects');
    const ops = bridge.opsPort;
    publisher = await connectPublisher(mqttUrl, `pub-${id}`);
    await kafka.stopBroker(0);
    const total = 600;
    await publishNumbered(publisher, `${prefix}/energy`, 0, total, 300);
    await eventually(
      'the bridge to hold a full window',
      async () => (await metric(ops, 'bridge_pending_acks')) >= window,
      { timeoutMs: 60_000 },
    );

    let maxQueued = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const queued = (await health(ops)).details.kafka.queued as number;
        maxQueued = Math.max(maxQueued, queued);
        await new Promise(r => setTimeout(r, 100));
      }
    })();
    for (let restart = 1; restart <= 5; restart++) {
      await mosquitto.restart();
      await eventually(
        `the bridge to take a window again after restart ${restart}`,
        async () =>
          (await metric(ops, 'bridge_connection_up{peer="mqtt"}')) === 1 &&
          (await metric(ops, 'bridge_pending_acks')) >= window,
        { timeoutMs: 60_000 },
      );
    }
    sampling = false;
    await sampler;
    expect(maxQueued).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(window);
    expect(await metric(ops, 'bridge_mqtt_session_lost_total')).toBe(0);

    await kafka.startBroker(0);
    reader = await TopicReader.start(kafka.brokers, topics.energy);
    const { duplicates } = await expectAllNumbers(reader, total, 180_000);
    // eslint-disable-next-line no-console
    console.log(
      `5 Mosquitto restarts in a Kafka outage: ${total} published, max ${maxQueued} queued, ${duplicates} duplicates, 0 missing`,
    );
    // Without dropping an abandoned connection's items, each restart would add a window of copies.
    expect(duplicates).toBeLessThanOrEqual(window);
  }, 400_000);

  it('sends no PUBACK on the wire while Kafka is down, and loses nothing across a SIGKILL', async () => {
    const id = uid();
    tap = await startWireTap(mqttUrl);
    const { config, prefix, topics } = testConfig({
      id,
      kafkaBrokers: kafka.brokers,
      mqttUrl: tap.url,
    });
    const configFile = writeConfig(config);
    const first = spawnBridge(configFile);
    spawned.push(first);
    await eventually(
      'the bridge to subscribe',
      () => first.stdout().includes('MQTT subscribed'),
      { timeoutMs: 60_000 },
    );
    await kafka.stopBroker(0);
    publisher = await connectPublisher(mqttUrl, `pub-${id}`);
    const total = 50;
    await publishNumbered(publisher, `${prefix}/energy`, 0, total, 500);
    await eventually(
      'Mosquitto to send every message to the bridge',
      () => tap!.publishes >= total,
      { timeoutMs: 30_000 },
    );
    // Time for a PUBACK that should not come; the bridge keeps trying Kafka meanwhile.
    await new Promise(r => setTimeout(r, 5000));
    expect(tap.pubacks).toEqual([]);

    await first.kill('SIGKILL');
    await kafka.startBroker(0);
    const second = spawnBridge(configFile);
    spawned.push(second);
    reader = await TopicReader.start(kafka.brokers, topics.energy);
    await expectAllNumbers(reader, total, 120_000);
    await eventually(
      'the PUBACKs on the wire',
      () => tap!.pubacks.length >= total,
      { timeoutMs: 60_000 },
    );
  }, 300_000);
});
