import mqtt, { MqttClient } from 'mqtt';
import { testInfra } from '../testInfra';
import { unique } from '@homelab/test-kit';
import { startMosquitto } from './server';

jest.setTimeout(60_000);

function nextMessage(
  client: MqttClient,
  topic: string,
): Promise<{ payload: string; qos: number }> {
  return new Promise(resolve => {
    const onMessage = (
      t: string,
      payload: Buffer,
      packet: mqtt.IPublishPacket,
    ) => {
      if (t !== topic) return;
      client.removeListener('message', onMessage);
      resolve({ payload: payload.toString(), qos: packet.qos });
    };
    client.on('message', onMessage);
  });
}

/**
 * A persistent session (clean: false, fixed client id) subscribes, goes
 * offline, misses a QoS 1 publish, and must get it on reconnect. MQTT 5 needs
 * a session expiry for the session to outlive the connection.
 */
async function offlineDelivery(
  url: string,
  protocolVersion: 4 | 5,
  whileOffline?: () => Promise<void>,
) {
  const clientId = unique(`infra-persistent-v${protocolVersion}`);
  const topic = `homelab/test/${clientId}`;
  const session = {
    clientId,
    clean: false,
    protocolVersion,
    reconnectPeriod: 0,
    ...(protocolVersion === 5
      ? { properties: { sessionExpiryInterval: 3600 } }
      : {}),
  };

  const subscriber = await mqtt.connectAsync(url, session);
  await subscriber.subscribeAsync(topic, { qos: 1 });
  await subscriber.endAsync();

  const publisher = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  await publisher.publishAsync(topic, 'sent while offline', { qos: 1 });
  await publisher.endAsync();

  await whileOffline?.();

  const back = mqtt.connect(url, session);
  const message = nextMessage(back, topic);
  const connack = await new Promise<mqtt.IConnackPacket>(resolve =>
    back.once('connect', resolve),
  );
  expect(connack.sessionPresent).toBe(true);
  await expect(message).resolves.toEqual({
    payload: 'sent while offline',
    qos: 1,
  });
  await back.endAsync();
}

describe('Mosquitto (shared instance)', () => {
  const { mqttUrl } = testInfra();

  it('delivers a QoS 1 publish to a QoS 1 subscriber', async () => {
    const topic = `homelab/test/${unique('qos1')}`;
    const subscriber = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
    await subscriber.subscribeAsync(topic, { qos: 1 });
    const message = nextMessage(subscriber, topic);
    const publisher = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
    await publisher.publishAsync(topic, JSON.stringify({ power_kw: 3.2 }), {
      qos: 1,
    });
    await expect(message).resolves.toEqual({
      payload: '{"power_kw":3.2}',
      qos: 1,
    });
    await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
  });

  it.each([4, 5] as const)(
    'keeps QoS 1 messages for an offline persistent session (MQTT protocol %s)',
    async version => {
      await expect(offlineDelivery(mqttUrl, version)).resolves.toBeUndefined();
    },
  );

  it('accepts a 2 MB payload (max_packet_size is 4 MB)', async () => {
    const topic = `homelab/test/${unique('big')}`;
    const subscriber = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
    await subscriber.subscribeAsync(topic, { qos: 1 });
    const message = nextMessage(subscriber, topic);
    const publisher = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
    await publisher.publishAsync(topic, Buffer.alloc(2 * 1024 * 1024, 'a'), {
      qos: 1,
    });
    expect((await message).payload).toHaveLength(2 * 1024 * 1024);
    await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
  });
});

describe('startMosquitto', () => {
  it('keeps persistent sessions and their queued messages across restart()', async () => {
    const server = await startMosquitto();
    try {
      expect(server.url).toBe(`mqtt://127.0.0.1:${server.port}`);
      await offlineDelivery(server.url, 4, () => server.restart());
    } finally {
      await server.stop();
    }
  });
});
