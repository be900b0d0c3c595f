/*
 * energy-ws over Kafka SASL_SSL: a private broker whose SCRAM and PLAIN users
 * are made by Kafka's own storage tool, with a CA made by openssl. Wrong
 * settings stop the start with the key to fix, and records produced meanwhile
 * still reach a client once the settings are right.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { SecuredBrokers, startSecuredBrokers } from '@homelab/infra';
import { createLogger } from '@homelab/service-kit';
import { EnergyWsConfigInput, parseConfig } from './config';
import { startEnergyWs } from './server';
import { connectClient, mintToken } from './__testUtils__/testing';
import { canonicalRecord } from '@homelab/test-kit';
import { createTopics } from '@homelab/test-kit/kafka';

jest.setTimeout(240_000);

const SECRET = 'secure-test-secret-0123456789abcdef';
const id = randomUUID().slice(0, 8);
const topics = {
  energy: `test.energy-ws-secure.${id}.energy`,
  heatpump: `test.energy-ws-secure.${id}.heatpump`,
  temperature: `test.energy-ws-secure.${id}.temperature`,
};
const logger = createLogger('energy-ws-secure-test', 'silent');

let brokers: SecuredBrokers;
let producer: Producer;
let produced = 0;

beforeAll(async () => {
  brokers = await startSecuredBrokers({ mosquitto: false });
  // Topics and test records go through the PLAINTEXT listener, independent of the service's settings.
  const kafka = new Kafka({
    brokers: brokers.kafka!.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await createTopics(admin, Object.values(topics));
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  // Offset 0: clients resume after it, so they get every counted record.
  await producer.send({
    topic: topics.energy,
    messages: [
      {
        key: 'marker',
        value: JSON.stringify(
          canonicalRecord('energy', 'marker', { power_kw: 0 }),
        ),
      },
    ],
  });
});

afterAll(async () => {
  await producer?.disconnect();
  await brokers?.stop();
});

async function produce(n: number) {
  await producer.send({
    topic: topics.energy,
    messages: Array.from({ length: n }, (_, i) => ({
      key: `meter${produced + i}`,
      value: JSON.stringify(
        canonicalRecord('energy', `meter${produced + i}`, {
          power_kw: produced + i,
        }),
      ),
    })),
  });
  produced += n;
}

/** snake_case, as the original energy-ws config.yaml; `change` breaks one setting. */
function secureConfig(
  mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain',
  change: (kafka: any) => void = () => undefined,
): EnergyWsConfigInput {
  const user = brokers.kafkaUsers[mechanism];
  const kafka: any = {
    brokers: brokers.kafka!.secureBrokers,
    topics,
    groupId: `energy-ws-secure-${id}`,
    autoOffsetReset: 'earliest',
    ssl: { caFile: brokers.ca.caFile },
    sasl: {
      mechanism,
      username: user.username,
      passwordFile: user.passwordFile,
    },
  };
  change(kafka);
  return {
    kafka,
    server: { host: '127.0.0.1', port: 0 },
    auth: { jwtSecret: SECRET },
  } as EnergyWsConfigInput;
}

async function receiveAll(mechanism: 'scram-sha-256' | 'plain') {
  const service = await startEnergyWs(
    parseConfig(secureConfig(mechanism)),
    logger,
  );
  try {
    const client = await connectClient(service.url, {
      token: await mintToken(SECRET),
    });
    client.send({
      type: 'subscribe',
      streams: ['energy'],
      resume: ['energy:0:0'],
    });
    await produce(1);
    await client.next(
      () => new Set(client.data().map(m => m.device_id)).size >= produced,
      60_000,
    );
    const devices = new Set(client.data().map(m => m.device_id));
    expect(devices.size).toBe(produced);
    client.socket.close();
  } finally {
    await service.stop('test');
  }
}

describe('energy-ws over Kafka TLS and SASL', () => {
  it('delivers records read over SASL_SSL with SCRAM-SHA-256', async () => {
    await produce(3);
    await receiveAll('scram-sha-256');
  });

  const refusals: Array<[string, (kafka: any) => void, RegExp]> = [
    [
      'a wrong password',
      kafka => {
        kafka.sasl = {
          ...kafka.sasl,
          passwordFile: undefined,
          password: 'wrong',
        };
      },
      /^connection error: kafka\.sasl\.password: authentication failed for user "svc-scram256" with scram-sha-256; check kafka\.sasl\.username, kafka\.sasl\.password \(or passwordFile\)/,
    ],
    [
      'a CA that did not sign the broker',
      kafka => {
        kafka.ssl.caFile = brokers.strangerCa.caFile;
      },
      /^connection error: kafka\.ssl\.ca: certificate verify failed .*kafka\.ssl\.caFile/,
    ],
    [
      'a plaintext client on the SASL_SSL listener',
      kafka => {
        delete kafka.ssl;
        delete kafka.sasl;
      },
      /^connection error: kafka\.ssl: the broker closed the connection/,
    ],
    [
      'TLS without SASL on the SASL_SSL listener',
      kafka => {
        delete kafka.sasl;
      },
      /^connection error: kafka\.sasl: the broker closed the connection after TLS/,
    ],
    [
      'TLS towards the PLAINTEXT listener',
      kafka => {
        kafka.brokers = brokers.kafka!.brokers;
      },
      /^connection error: kafka\.ssl: TLS handshake failed/,
    ],
  ];

  it.each(refusals)(
    'stops at start with the setting to fix on %s, and loses nothing',
    async (_what, change, message) => {
      // Produced while the service cannot connect: Kafka keeps them.
      await produce(2);
      const outcome = await startEnergyWs(
        parseConfig(secureConfig('scram-sha-256', change)),
        logger,
      ).then(
        service =>
          service.stop('test').then(() => new Error('the service started')),
        (error: Error) => error,
      );
      expect(outcome.message).toMatch(message);
    },
  );

  it('delivers everything produced meanwhile once the settings are right (PLAIN over TLS)', async () => {
    await receiveAll('plain');
  });
});
