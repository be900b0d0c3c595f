import { Kafka, logLevel } from 'kafkajs';
import { testInfra } from '@homelab/infra';
import { MissingTopicsError } from '@homelab/pipeline-contracts';
import { createSink } from './sink';
import { dropSchema, testCase, testLogger } from './__testUtils__/harness';
import { createTopics } from '@homelab/test-kit/kafka';

jest.setTimeout(120_000);

const infra = testInfra();

describe('who creates topics: not the sink', () => {
  const { topics, config, schema } = testCase(
    infra.kafkaBrokers,
    infra.databaseUrl,
  );

  afterAll(() => dropSchema(infra.databaseUrl, schema));

  it('refuses to start while a topic it reads or dead-letters to is missing, names each one, and creates none', async () => {
    await createTopics(infra.kafkaBrokers, [topics.energy, topics.heatpump]);
    const missing = [topics.temperature, topics.dlq];
    const sink = createSink(config, { logger: testLogger() });
    try {
      const start = sink.start();
      await expect(start).rejects.toBeInstanceOf(MissingTopicsError);
      await expect(start).rejects.toMatchObject({ topics: missing });
      await expect(start).rejects.toThrow(missing.join(', '));
    } finally {
      await sink.stop('test done');
    }
    const admin = new Kafka({
      brokers: infra.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const after = new Set(await admin.listTopics());
      expect(missing.filter(t => after.has(t))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});
