/*
 * The simulator over Mosquitto's TLS listener with a password file, a CA made
 * with openssl. Wrong settings stop the start naming the key to fix.
 */
import {
  MosquittoServer,
  SecuredBrokers,
  startMosquitto,
  startSecuredBrokers,
} from '@homelab/infra';
import { createLogger } from '@homelab/service-kit';
import { randomUUID } from 'node:crypto';
import mqtt, { MqttClient } from 'mqtt';
import { simulatorConfigSchema } from './config';
import { startSimulator } from './simulator';

jest.setTimeout(180_000);

const prefix = `test-${randomUUID().slice(0, 8)}/homelab`;
const logger = createLogger('device-simulator-secure-test', 'silent');
let brokers: SecuredBrokers;
let referee: MqttClient;
const received = new Set<string>();

beforeAll(async () => {
  brokers = await startSecuredBrokers({ kafka: false });
  // The referee listens on the plain listener: it shares no settings with the simulator.
  referee = await mqtt.connectAsync(brokers.mosquitto!.url, {
    reconnectPeriod: 0,
  });
  referee.on('message', topic => received.add(topic));
  await referee.subscribeAsync(`${prefix}/#`, { qos: 1 });
});

afterAll(async () => {
  await referee?.endAsync();
  await brokers?.stop();
});

function secureConfig(change: (mqtt: any) => void = () => undefined) {
  const device = brokers.mqttUsers.device;
  const config: any = {
    url: brokers.mosquitto!.tlsUrl,
    topicPrefix: prefix,
    username: device.username,
    passwordFile: device.passwordFile,
    tls: { caFile: brokers.ca.caFile },
  };
  change(config);
  return simulatorConfigSchema.parse({
    mqtt: config,
    rateMultiplier: 100,
    seed: 7,
    ops: { host: '127.0.0.1', port: 0 },
  });
}

async function waitForEveryDevice(
  topics: string[],
  arrived: Set<string> = received,
) {
  const deadline = Date.now() + 60_000;
  while (!topics.every(t => arrived.has(t))) {
    if (Date.now() > deadline)
      throw new Error(
        `no message yet on ${topics.filter(t => !arrived.has(t)).join(', ')}`,
      );
    await new Promise(r => setTimeout(r, 100));
  }
}

describe('device simulator over MQTT TLS', () => {
  it('publishes every device over TLS with a password from a file', async () => {
    const simulator = await startSimulator(secureConfig(), logger);
    try {
      await waitForEveryDevice(simulator.devices.map(d => d.topic));
    } finally {
      await simulator.stop('test');
    }
  });

  it.each<[string, (mqtt: any) => void, RegExp]>([
    [
      'a wrong password',
      m => {
        delete m.passwordFile;
        m.password = 'wrong';
      },
      /^connection error: mqtt\.password: the broker refused user "device"/,
    ],
    [
      'a CA that did not sign Mosquitto',
      m => {
        m.tls.caFile = brokers.strangerCa.caFile;
      },
      /^connection error: mqtt\.tls\.ca: certificate verify failed .*mqtt\.tls\.caFile/,
    ],
    [
      'mqtt:// towards the TLS listener',
      m => {
        m.url = m.url.replace('mqtts://', 'mqtt://');
        delete m.tls;
      },
      /^connection error: mqtt\.url: .* closed the connection without answering CONNECT; if its listener is TLS, use mqtts:\/\//,
    ],
    [
      'mqtts:// towards the plain listener',
      m => {
        m.url = brokers.mosquitto!.url.replace('mqtt://', 'mqtts://');
      },
      /^connection error: mqtt\.url: .* dropped the connection during the TLS handshake/,
    ],
  ])(
    'stops at start with the setting to fix on %s',
    async (_what, change, message) => {
      const outcome = await startSimulator(secureConfig(change), logger).then(
        simulator =>
          simulator.stop('test').then(() => new Error('the simulator started')),
        (error: Error) => error,
      );
      expect(outcome.message).toMatch(message);
    },
  );

  it('publishes again once the settings are right', async () => {
    received.clear();
    const simulator = await startSimulator(secureConfig(), logger);
    try {
      await waitForEveryDevice(simulator.devices.map(d => d.topic));
    } finally {
      await simulator.stop('test');
    }
  });
});

describe('device simulator with a client certificate', () => {
  let strict: MosquittoServer;
  let strictReferee: MqttClient;
  const seen = new Set<string>();

  beforeAll(async () => {
    // A second broker whose TLS listener also requires a certificate signed by the test CA.
    strict = await startMosquitto({
      tls: {
        ...(await brokers.ca.issueServer('strict-broker')),
        users: [brokers.mqttUsers.device],
        clientCaFile: brokers.ca.caFile,
      },
    });
    strictReferee = await mqtt.connectAsync(strict.url, { reconnectPeriod: 0 });
    strictReferee.on('message', topic => seen.add(topic));
    await strictReferee.subscribeAsync(`${prefix}/#`, { qos: 1 });
  });

  afterAll(async () => {
    await strictReferee?.endAsync();
    await strict?.stop();
  });

  const withClientCertificate = async (
    issue: () => Promise<{ certFile: string; keyFile: string }>,
  ) => {
    const { certFile, keyFile } = await issue();
    return secureConfig(m => {
      m.url = strict.tlsUrl;
      m.tls.certFile = certFile;
      m.tls.keyFile = keyFile;
    });
  };

  it('publishes with certFile and keyFile', async () => {
    const config = await withClientCertificate(() =>
      brokers.ca.issueClient('simulator'),
    );
    const simulator = await startSimulator(config, logger);
    try {
      await waitForEveryDevice(
        simulator.devices.map(d => d.topic),
        seen,
      );
    } finally {
      await simulator.stop('test');
    }
  });

  it('stops at start naming tls.certFile without a certificate, or with one from another CA', async () => {
    const refusal = (config: Parameters<typeof startSimulator>[0]) =>
      startSimulator(config, logger).then(
        simulator =>
          simulator.stop('test').then(() => new Error('the simulator started')),
        (error: Error) => error,
      );
    const none = secureConfig(m => {
      m.url = strict.tlsUrl;
    });
    expect((await refusal(none)).message).toMatch(
      /^connection error: mqtt\.tls\.certFile: the server refused the client certificate .*give certFile and keyFile/,
    );
    const foreign = await withClientCertificate(() =>
      brokers.strangerCa.issueClient('simulator'),
    );
    expect((await refusal(foreign)).message).toMatch(
      /^connection error: mqtt\.tls\.certFile: the server refused the client certificate/,
    );
  });
});
