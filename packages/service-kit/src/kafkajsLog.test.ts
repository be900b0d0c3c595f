import pino from 'pino';
import { Writable } from 'node:stream';
import { kafkajsLogCreator } from './kafkajsLog';

function capture() {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('kafkajsLogCreator', () => {
  it("writes each entry at its level with kafkajs' fields nested", async () => {
    const { logger, lines } = capture();
    const log = kafkajsLogCreator(logger)();
    log({
      namespace: 'Connection',
      level: 1,
      log: {
        message: 'Connection error',
        timestamp: 'x',
        logger: 'kafkajs',
        broker: 'b:9092',
        level: 'ignored',
      },
    });
    log({ namespace: 'Consumer', level: 2, log: { message: 'rebalancing' } });
    await new Promise(r => setImmediate(r));
    expect(lines.map(l => [l.level, l.msg])).toEqual([
      [50, 'kafkajs: Connection error'],
      [40, 'kafkajs: rebalancing'],
    ]);
    expect(lines[0].kafkajs).toEqual({
      namespace: 'Connection',
      broker: 'b:9092',
      level: 'ignored',
    });
  });

  it('drops the messages the service chose to ignore', async () => {
    const { logger, lines } = capture();
    const log = kafkajsLogCreator(logger, {
      ignore: m => m.startsWith('Limiting retries'),
    })();
    log({
      namespace: 'P',
      level: 2,
      log: { message: 'Limiting retries for x' },
    });
    log({ namespace: 'P', level: 2, log: { message: 'kept' } });
    await new Promise(r => setImmediate(r));
    expect(lines.map(l => l.msg)).toEqual(['kafkajs: kept']);
  });
});
