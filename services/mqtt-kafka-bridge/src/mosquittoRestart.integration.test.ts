import { MosquittoServer, startMosquitto } from '@homelab/infra';
import mqtt, { MqttClient } from 'mqtt';
import { RunningBridge } from './bridge';
import {
  TopicReader,
  connectPublisher,
  health,
  metric,
  startTestBridge,
  testConfig,
} from './__testUtils__/harness';
import { eventually, uid } from '@homelab/test-kit';
import { testEnvironment } from './__testUtils__/environment';
import { expectAllNumbers, publishNumbered } from './__testUtils__/numbered';

/** A (dedicated) Mosquitto restarts; the bridge reconnects, resubscribes and carries on. */
describe('Mosquitto restart', () => {
  const { kafkaBrokers } = testEnvironment();
  let mosquitto: MosquittoServer;
  let bridge: RunningBridge | undefined;
  let publisher: MqttClient | undefined;
  let reader: TopicReader | undefined;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
  }, 60_000);

  afterAll(async () => {
    await reader?.stop();
    await publisher?.endAsync();
    await bridge?.stop('test end');
    await mosquitto?.stop();
  }, 60_000);

  it('reconnects, resubscribes and delivers what was published before, during and after', async () => {
    const id = uid();
    const { config, prefix, topics } = testConfig({
      id,
      kafkaBrokers,
      mqttUrl: mosquitto.url,
    });
    bridge = await startTestBridge(config, 'bridge-restart');
    const ops = bridge.opsPort;
    publisher = await connectPublisher(mosquitto.url, `pub-${id}`);
    reader = await TopicReader.start(kafkaBrokers, topics.energy);

    await publishNumbered(publisher, `${prefix}/energy`, 0, 1000, 1000);
    // Publishing on through the restart: the publisher's own session resends what Mosquitto did not PUBACK.
    const during = publishNumbered(
      publisher,
      `${prefix}/energy`,
      1000,
      2000,
      500,
    );
    await mosquitto.restart();
    await eventually(
      'the bridge to reconnect and resubscribe',
      async () => (await health(ops)).status === 'ok',
      { timeoutMs: 60_000 },
    );
    await during;
    await publishNumbered(publisher, `${prefix}/energy`, 3000, 1000, 1000);

    const { duplicates } = await expectAllNumbers(reader, 4000, 120_000);
    // eslint-disable-next-line no-console
    console.log(
      `Mosquitto restart test: 4000 published, ${reader.messages.length} records, ${duplicates} duplicates, 0 missing`,
    );
    expect(await metric(ops, 'bridge_connection_up{peer="mqtt"}')).toBe(1);
  }, 240_000);

  it('warns and counts when Mosquitto reconnects it without its session', async () => {
    const id = uid();
    const { config } = testConfig({ id, kafkaBrokers, mqttUrl: mosquitto.url });
    const other = await startTestBridge(config, 'bridge-session-lost');
    try {
      expect(
        await metric(other.opsPort, 'bridge_mqtt_session_lost_total'),
      ).toBe(0);
      // Another client takes the bridge's client id with a clean session: Mosquitto drops the old session.
      const thief = await mqtt.connectAsync(mosquitto.url, {
        clientId: config.mqtt.clientId,
        clean: true,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      await thief.endAsync();
      await eventually(
        'the bridge to notice the lost session',
        async () =>
          (await metric(other.opsPort, 'bridge_mqtt_session_lost_total')) >= 1,
        { timeoutMs: 60_000 },
      );
      await eventually(
        'the bridge to be ready again',
        async () => (await health(other.opsPort)).status === 'ok',
        { timeoutMs: 60_000 },
      );
    } finally {
      await other.stop('test end');
    }
  }, 120_000);
});
