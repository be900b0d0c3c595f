import { ConfigResourceTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { testInfra } from '../testInfra';
import { unique } from '@homelab/test-kit';

jest.setTimeout(120_000);

describe('Kafka (shared instance, kafkajs)', () => {
  const kafka = new Kafka({
    clientId: 'infra-test',
    brokers: testInfra().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();

  beforeAll(() => admin.connect());
  afterAll(() => admin.disconnect());

  it('creates a topic with retention.ms and segment.ms and reads them back', async () => {
    const topic = unique('infra-config');
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 3,
          configEntries: [
            { name: 'retention.ms', value: String(60 * 60 * 1000) },
            { name: 'segment.ms', value: String(5 * 60 * 1000) },
          ],
        },
      ],
    });
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configNames: ['retention.ms', 'segment.ms'],
        },
      ],
    });
    const config = Object.fromEntries(
      resources[0].configEntries.map(e => [e.configName, e.configValue]),
    );
    expect(config).toEqual({
      'retention.ms': '3600000',
      'segment.ms': '300000',
    });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0].partitions).toHaveLength(3);
  });

  it('does not create topics on first use (auto.create.topics.enable=false)', async () => {
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 1 },
    });
    await producer.connect();
    try {
      await expect(
        producer.send({
          topic: unique('infra-missing'),
          messages: [{ value: 'x' }],
        }),
      ).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
  });

  it('produces and consumes with a group, then reports committed offsets equal to the high watermarks', async () => {
    const topic = unique('infra-smoke');
    const groupId = unique('infra-group');
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 2 }],
    });

    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
    });
    await producer.connect();
    // Explicit partitions: both must hold records for the per-partition comparison.
    const messages = Array.from({ length: 20 }, (_, i) => ({
      key: `device-${i % 4}`,
      partition: i % 2,
      value: JSON.stringify({ i }),
    }));
    await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: number[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            received.push(JSON.parse(message.value!.toString()).i);
            if (received.length === messages.length) resolve();
          },
        })
        .catch(reject);
    });
    // Stopping commits what was processed.
    await consumer.disconnect();
    expect(received.sort((a, b) => a - b)).toEqual(messages.map((_, i) => i));

    const watermarks = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const high = Object.fromEntries(
      watermarks.map(w => [w.partition, Number(w.high)]),
    );
    expect(high).toEqual({ 0: 10, 1: 10 });
    expect(
      Object.fromEntries(
        committed.partitions.map(p => [p.partition, Number(p.offset)]),
      ),
    ).toEqual(high);
  });
});
