/*
 * The bridge over secured listeners: Kafka SASL_SSL with SCRAM users made by
 * Kafka's own storage tool, Mosquitto TLS with a password file, a CA made with
 * openssl. Each wrong setting stops the start with the key to fix; messages
 * published meanwhile wait in Mosquitto and reach Kafka once the settings are
 * right.
 */
import { SecuredBrokers, startSecuredBrokers } from '@homelab/infra';
import { createLogger } from '@homelab/service-kit';
import { MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import { startBridge } from './bridge';
import { loadBridgeConfig } from './config';
import {
  TopicReader,
  health,
  spawnBridge,
  testConfig,
  writeConfig,
} from './__testUtils__/harness';
import { eventually, uid } from '@homelab/test-kit';

jest.setTimeout(240_000);

let brokers: SecuredBrokers;
let device: MqttClient;
const id = uid();

beforeAll(async () => {
  brokers = await startSecuredBrokers();
  device = await mqtt.connectAsync(brokers.mosquitto!.tlsUrl!, {
    ca: [brokers.ca.ca],
    username: brokers.mqttUsers.device.username,
    password: brokers.mqttUsers.device.password,
    clientId: `device-${id}`,
    reconnectPeriod: 500,
  });
});

afterAll(async () => {
  await device?.endAsync();
  await brokers?.stop();
});

/** A bridge config over the secured listeners; `change` breaks one setting. */
function secureConfig(change: (c: any) => void = () => undefined) {
  const { config, prefix, topics } = testConfig({
    id,
    kafkaBrokers: brokers.kafka!.secureBrokers,
    mqttUrl: brokers.mosquitto!.tlsUrl!,
  });
  const c: any = config;
  const scram = brokers.kafkaUsers['scram-sha-512'];
  c.kafka.ssl = { caFile: brokers.ca.caFile };
  // The password from a file, as from a mounted Secret.
  c.kafka.sasl = {
    mechanism: 'scram-sha-512',
    username: scram.username,
    passwordFile: scram.passwordFile,
  };
  // The password from the environment, substituted by the config loader.
  c.mqtt.username = brokers.mqttUsers.service.username;
  c.mqtt.password = '${TEST_MQTT_PASSWORD}';
  c.mqtt.tls = { caFile: brokers.ca.caFile };
  change(c);
  return { config: c, prefix, topics };
}

function load(config: unknown) {
  return loadBridgeConfig(writeConfig(config), {
    TEST_MQTT_PASSWORD: brokers.mqttUsers.service.password,
  });
}

const logger = createLogger('secure-test', 'silent');

async function publish(prefix: string, n: number, from: number) {
  for (let i = from; i < from + n; i++)
    await device.publishAsync(
      `${prefix}/energy/meter${i}`,
      JSON.stringify({ ts: Date.now(), power_kw: i }),
      { qos: 1 },
    );
}

describe('bridge over TLS and SASL', () => {
  let reader: TopicReader;
  let published = 0;

  afterAll(() => reader?.stop());

  it('moves readings from Mosquitto TLS to Kafka SASL_SSL/SCRAM-SHA-512', async () => {
    const { config, prefix, topics } = secureConfig();
    const bridge = await startBridge(load(config), logger);
    try {
      await eventually(
        'the bridge to be ready',
        async () => (await health(bridge.opsPort)).status === 'ok',
      );
      // The referee reads over the PLAINTEXT listener: it shares no settings with the bridge.
      reader = await TopicReader.start(brokers.kafka!.brokers, topics.energy);
      await publish(prefix, 5, published);
      published += 5;
      await reader.waitForCount(published);
    } finally {
      await bridge.stop('test');
    }
  });

  const refusals: Array<[string, (c: any) => void, RegExp]> = [
    [
      'a wrong Kafka password',
      c => {
        c.kafka.sasl = {
          ...c.kafka.sasl,
          passwordFile: undefined,
          password: 'wrong',
        };
      },
      /^connection error: kafka\.sasl\.password: authentication failed for user "svc-scram512"/,
    ],
    [
      'a Kafka SASL mechanism the user has no credentials for',
      c => {
        c.kafka.sasl.mechanism = 'scram-sha-256';
      },
      /^connection error: kafka\.sasl\.password: authentication failed for user "svc-scram512" with scram-sha-256/,
    ],
    [
      'a CA that did not sign the Kafka broker',
      c => {
        c.kafka.ssl.caFile = brokers.strangerCa.caFile;
      },
      /^connection error: kafka\.ssl\.ca: certificate verify failed/,
    ],
    [
      'a plaintext client on the SASL_SSL listener',
      c => {
        delete c.kafka.ssl;
        delete c.kafka.sasl;
      },
      /^connection error: kafka\.ssl: the broker closed the connection/,
    ],
    [
      'TLS without SASL on the SASL_SSL listener',
      c => {
        delete c.kafka.sasl;
      },
      /^connection error: kafka\.sasl: the broker closed the connection after TLS/,
    ],
    [
      'TLS towards the PLAINTEXT listener',
      c => {
        c.kafka.brokers = brokers.kafka!.brokers;
      },
      /^connection error: kafka\.ssl: TLS handshake failed/,
    ],
    [
      'a wrong MQTT password',
      c => {
        c.mqtt.password = 'wrong';
      },
      /^connection error: mqtt\.password: the broker refused user "service"/,
    ],
    [
      'a CA that did not sign Mosquitto',
      c => {
        c.mqtt.tls.caFile = brokers.strangerCa.caFile;
      },
      /^connection error: mqtt\.tls\.ca: certificate verify failed/,
    ],
    [
      'mqtt:// towards the TLS listener',
      c => {
        c.mqtt.url = c.mqtt.url.replace('mqtts://', 'mqtt://');
        delete c.mqtt.tls;
      },
      /^connection error: mqtt\.url: the broker at mqtt:\/\/.* closed the connection without answering CONNECT; if its listener is TLS, use mqtts:\/\//,
    ],
    [
      'mqtts:// towards the plain listener',
      c => {
        c.mqtt.url = brokers.mosquitto!.url.replace('mqtt://', 'mqtts://');
      },
      /^connection error: mqtt\.url: the broker at mqtts:\/\/.* dropped the connection during the TLS handshake; is this a plaintext listener\?/,
    ],
  ];

  it.each(refusals)(
    'stops at start with the setting to fix on %s, and loses nothing',
    async (_what, change, message) => {
      const { config, prefix } = secureConfig(change);
      // Published while the bridge cannot connect: Mosquitto keeps them for its session.
      await publish(prefix, 2, published);
      published += 2;
      const outcome = await startBridge(load(config), logger).then(
        bridge =>
          bridge.stop('test').then(() => new Error('the bridge started')),
        (error: Error) => error,
      );
      expect(outcome.message).toMatch(message);
    },
  );

  it('prints the setting to fix on one line and exits with code 2 when run as `yarn start`', async () => {
    const { config } = secureConfig(c => {
      c.kafka.sasl = {
        ...c.kafka.sasl,
        passwordFile: undefined,
        password: '${KAFKA_SASL_PASSWORD}',
      };
    });
    const bridge = spawnBridge(writeConfig(config), {
      KAFKA_SASL_PASSWORD: 'wrong',
      TEST_MQTT_PASSWORD: brokers.mqttUsers.service.password,
    });
    expect(await bridge.exited).toBe(2);
    expect(bridge.stderr()).toMatch(
      /^mqtt-kafka-bridge: connection error: kafka\.sasl\.password: authentication failed for user "svc-scram512"/m,
    );
  });

  it('delivers everything published during the refused starts once the settings are right', async () => {
    const { config, prefix } = secureConfig();
    const bridge = await startBridge(load(config), logger);
    try {
      // And a normal reading published now flows too.
      await publish(prefix, 1, published);
      published += 1;
      const messages = await reader.waitForCount(published);
      const meters = new Set(messages.map(m => String(m.key)));
      expect(meters.size).toBe(published);
    } finally {
      await bridge.stop('test');
    }
  });
});
