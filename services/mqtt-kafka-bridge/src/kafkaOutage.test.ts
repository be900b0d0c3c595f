import { KafkaCluster, startKafka } from '@homelab/infra';
import { MqttClient } from 'mqtt';
import { RunningBridge } from './bridge';
import {
  TopicReader,
  connectPublisher,
  eventually,
  health,
  metric,
  startTestBridge,
  testConfig,
  uid,
} from './__testUtils__/harness';
import { testEnvironment } from './__testUtils__/environment';
import { expectAllNumbers, publishNumbered } from './__testUtils__/numbered';

/**
 * Test 4 of the issue: Kafka (a dedicated one) is down for 20 s while devices
 * keep publishing. The bridge stops acknowledging, Mosquitto keeps the
 * messages, and after Kafka returns everything arrives.
 */
describe('Kafka outage', () => {
  const { mqttUrl } = testEnvironment();
  let kafka: KafkaCluster;
  let bridge: RunningBridge | undefined;
  let publisher: MqttClient | undefined;
  let reader: TopicReader | undefined;

  beforeAll(async () => {
    kafka = await startKafka();
  }, 180_000);

  afterAll(async () => {
    await reader?.stop().catch(() => {});
    await publisher?.endAsync();
    await bridge?.stop('test end');
    await kafka?.stop();
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
    const total = 6000;
    const rate = 150;

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
        (await metric(ops, 'bridge_kafka_records_produced_total')) > 300,
    );

    await kafka.stopBroker(0);
    const stoppedAt = Date.now();
    await eventually(
      'the bridge to notice',
      async () =>
        (await metric(ops, 'bridge_connection_up{peer="kafka"}')) === 0,
      60_000,
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
      60_000,
    );
    expect((await health(ops)).status).toBe('ok');
  }, 400_000);
});
