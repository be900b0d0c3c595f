/*
 * The sink over Kafka SASL_SSL (SCRAM users made by Kafka's own storage
 * tool) and PostgreSQL with TLS (sslmode verify-full), both with certificates
 * from a CA made by openssl. Wrong settings stop the start naming the key to
 * fix; records produced meanwhile are written once the settings are right.
 */
import {
  PostgresServer,
  SecuredBrokers,
  startPostgres,
  startSecuredBrokers,
  testInfra,
} from '@homelab/infra';
import { Producer } from 'kafkajs';
import { SinkConfigInput } from './config';
import { createSink } from './sink';
import {
  connectProducer,
  count,
  createTestTopics,
  produceRecords,
  testConfig,
  testLogger,
  testTopics,
} from './__testUtils__/harness';
import { canonicalRecord, eventually, uid } from '@homelab/test-kit';

jest.setTimeout(240_000);

const id = uid();
const topics = testTopics(id);
let brokers: SecuredBrokers;
let database: PostgresServer;
let producer: Producer;
let produced = 0;

beforeAll(async () => {
  brokers = await startSecuredBrokers({ mosquitto: false });
  database = await startPostgres({
    tls: await brokers.ca.issueServer('postgres'),
  });
  // Topics and records go through the PLAINTEXT listener, independent of the sink's settings.
  await createTestTopics(brokers.kafka!.brokers, topics);
  producer = await connectProducer(brokers.kafka!.brokers);
});

afterAll(async () => {
  await producer?.disconnect();
  await Promise.allSettled([brokers?.stop(), database?.stop()]);
});

async function produce(n: number) {
  const start = Date.UTC(2026, 0, 3, 16) + produced * 60_000;
  await produceRecords(
    producer,
    topics.energy,
    Array.from({ length: n }, (_, i) =>
      canonicalRecord(
        'energy',
        'meter1',
        {
          power_kw: produced + i,
        },
        new Date(start + i * 60_000),
      ),
    ),
  );
  produced += n;
}

type Change = (c: { kafka: any; database: any }) => void;

function secureConfig(change: Change = () => undefined) {
  const scram = brokers.kafkaUsers['scram-sha-256'];
  const blocks = {
    kafka: {
      brokers: brokers.kafka!.secureBrokers,
      group: `sink-${id}`,
      dlqTopic: topics.dlq,
      ssl: { caFile: brokers.ca.caFile },
      sasl: {
        mechanism: 'scram-sha-256',
        username: scram.username,
        passwordFile: scram.passwordFile,
      },
    } as any,
    database: {
      host: '127.0.0.1',
      port: database.port,
      name: database.database,
      user: database.user,
      password: database.password,
      schema: `sink_${id}`,
      sslmode: 'verify-full',
      sslrootcert: brokers.ca.caFile,
    } as any,
  };
  change(blocks);
  return testConfig({
    brokers: [],
    url: '',
    id,
    overrides: blocks as Partial<SinkConfigInput>,
  });
}

async function rows(): Promise<number> {
  return count(database.url, `sink_${id}`, 'energy_readings');
}

describe('timescaledb-sink over TLS and SASL', () => {
  it('writes records read over SASL_SSL into PostgreSQL over verified TLS', async () => {
    await produce(5);
    const sink = createSink(secureConfig(), { logger: testLogger() });
    try {
      await sink.start();
      await eventually('5 rows', async () => (await rows()) >= 5, {
        timeoutMs: 60_000,
      });
      const { rows: ssl } = await sink.pool.query(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(ssl[0].ssl).toBe(true);
    } finally {
      await sink.stop('test');
    }
  });

  const refusals: Array<[string, Change, RegExp]> = [
    [
      'a wrong Kafka password',
      c => {
        delete c.kafka.sasl.passwordFile;
        c.kafka.sasl.password = 'wrong';
      },
      /^connection error: kafka\.sasl\.password: authentication failed for user "svc-scram256"/,
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
      'a CA that did not sign PostgreSQL',
      c => {
        c.database.sslrootcert = brokers.strangerCa.caFile;
      },
      /^connection error: database\.sslrootcert: certificate verify failed/,
    ],
    [
      'a wrong database password',
      c => {
        c.database.password = 'wrong';
      },
      /^connection error: database\.password: password authentication failed for user "homelab"/,
    ],
    [
      'verify-full towards a PostgreSQL without TLS',
      c => {
        const plain = new URL(testInfra().databaseUrl);
        Object.assign(c.database, {
          port: Number(plain.port),
          password: decodeURIComponent(plain.password),
        });
      },
      /^connection error: database\.sslmode: The server does not support SSL connections/,
    ],
  ];

  it.each(refusals)(
    'stops at start with the setting to fix on %s, and loses nothing',
    async (_what, change, message) => {
      // Produced while the sink cannot start: Kafka keeps them for the group.
      await produce(2);
      const sink = createSink(secureConfig(change), { logger: testLogger() });
      const outcome = await sink.start().then(
        () => new Error('the sink started'),
        (error: Error) => error,
      );
      await sink.stop('test');
      expect(outcome.message).toMatch(message);
    },
  );

  it('writes everything produced during the refused starts once the settings are right', async () => {
    const sink = createSink(secureConfig(), { logger: testLogger() });
    try {
      await sink.start();
      // And a normal record produced now is written too.
      await produce(1);
      await eventually(
        `${produced} rows`,
        async () => (await rows()) >= produced,
        { timeoutMs: 60_000 },
      );
      expect(await rows()).toBe(produced);
    } finally {
      await sink.stop('test');
    }
  });
});
