import pino from 'pino';
import { Writable } from 'node:stream';
import { connectKafkaAdmin, kafkaClientOptions } from './kafkaClient';
import { ConnectionSettingError } from './kafkaConnection';

/** An admin whose calls are recorded; `fail` makes one of them reject. */
function admin(fail?: { call: 'connect' | 'listTopics'; error: Error }) {
  const calls: string[] = [];
  const step = async (call: string) => {
    calls.push(call);
    if (fail?.call === call) throw fail.error;
  };
  return {
    calls,
    connect: () => step('connect'),
    listTopics: async () => {
      await step('listTopics');
      return ['energy', 'heatpump'];
    },
    disconnect: () => step('disconnect'),
  };
}

const sasl = {
  mechanism: 'plain' as const,
  username: 'bridge',
  password: 'wrong',
};

describe('connectKafkaAdmin', () => {
  it('connects, lists the topics and keeps the admin connected', async () => {
    const a = admin();
    await expect(connectKafkaAdmin(a, {})).resolves.toEqual([
      'energy',
      'heatpump',
    ]);
    expect(a.calls).toEqual(['connect', 'listTopics']);
  });

  it('names the setting when the first request is refused, and disconnects', async () => {
    const refused = Object.assign(
      new Error('SASL PLAIN authentication failed'),
      { name: 'KafkaJSSASLAuthenticationError' },
    );
    const a = admin({ call: 'listTopics', error: refused });
    const failure = connectKafkaAdmin(a, { sasl }, 'source.kafka');
    await expect(failure).rejects.toThrow(ConnectionSettingError);
    await expect(failure).rejects.toThrow(
      /^connection error: source\.kafka\.sasl\.password: authentication failed for user "bridge"/,
    );
    expect(a.calls).toEqual(['connect', 'listTopics', 'disconnect']);
  });

  it('rethrows a failure no setting fixes (a broker that is down), and disconnects', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED'), {
      code: 'ECONNREFUSED',
    });
    const a = admin({ call: 'connect', error: down });
    await expect(connectKafkaAdmin(a, {})).rejects.toBe(down);
    expect(a.calls).toEqual(['connect', 'disconnect']);
  });
});

describe('kafkaClientOptions', () => {
  it("takes the id, brokers and security from the config and logs kafkajs' warnings into the service's log", async () => {
    const lines: Record<string, any>[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const options = kafkaClientOptions(
      {
        clientId: 'bridge-1',
        brokers: ['k1:9092', 'k2:9092'],
        ssl: { rejectUnauthorized: true },
        sasl,
      },
      logger,
      { ignore: message => message.startsWith('expected') },
    );
    expect(options).toMatchObject({
      clientId: 'bridge-1',
      brokers: ['k1:9092', 'k2:9092'],
      ssl: { rejectUnauthorized: true },
      sasl,
      // kafkajs' logLevel.WARN: warnings and errors only.
      logLevel: 2,
    });
    const log = options.logCreator();
    log({
      namespace: 'Producer',
      level: 2,
      log: { message: 'expected retry' },
    });
    log({ namespace: 'Consumer', level: 2, log: { message: 'rebalancing' } });
    await new Promise(r => setImmediate(r));
    expect(lines.map(l => l.msg)).toEqual(['kafkajs: rebalancing']);
  });
});
