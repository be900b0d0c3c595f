import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { canConnect } from '../ports';
import { unique } from '@homelab/test-kit';
import { startKafka } from './cluster';

jest.setTimeout(240_000);

const client = (brokers: string[]) =>
  new Kafka({
    clientId: 'infra-cluster-test',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 10 },
  });

async function consumeAll(
  kafka: Kafka,
  topic: string,
  count: number,
): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: unique('infra-cluster-group') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          values.push(message.value!.toString());
          if (values.length === count) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return values.sort();
}

async function produce(kafka: Kafka, topic: string, values: string[]) {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: values.map(value => ({ key: value, value })),
  });
  await producer.disconnect();
}

// Starts its own brokers (not the shared ones): these tests stop them.
describe('startKafka with 3 brokers', () => {
  it('runs a 3-broker cluster that keeps working while one broker is stopped and restarted', async () => {
    const cluster = await startKafka({ brokers: 3 });
    try {
      expect(cluster.brokers).toHaveLength(3);
      expect(cluster.bootstrap).toBe(cluster.brokers.join(','));
      const kafka = client(cluster.brokers);
      const admin = kafka.admin();
      await admin.connect();
      expect((await admin.describeCluster()).brokers).toHaveLength(3);

      const topic = unique('infra-replicated');
      // Replication factor 3 is the cluster default.
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 3 }],
      });
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(
        metadata.topics[0].partitions.every(p => p.replicas.length === 3),
      ).toBe(true);
      await produce(kafka, topic, ['a', 'b', 'c']);

      await cluster.stopBroker(1);
      expect(await canConnect(Number(cluster.brokers[1].split(':')[1]))).toBe(
        false,
      );
      await produce(kafka, topic, ['d', 'e']);

      await cluster.startBroker(1);
      expect(
        (await admin.describeCluster()).brokers.map(b => b.nodeId).sort(),
      ).toEqual([1, 2, 3]);
      await admin.disconnect();
      expect(await consumeAll(kafka, topic, 5)).toEqual([
        'a',
        'b',
        'c',
        'd',
        'e',
      ]);
    } finally {
      await cluster.stop();
    }
  });
});

describe('startKafka', () => {
  it('restarts a single broker on the same port with its data (the "Kafka is down" scenario)', async () => {
    const cluster = await startKafka();
    try {
      const kafka = client(cluster.brokers);
      const admin = kafka.admin();
      await admin.connect();
      const topic = unique('infra-durable');
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic }] });
      await admin.disconnect();
      await produce(kafka, topic, ['before']);

      const port = Number(cluster.brokers[0].split(':')[1]);
      await cluster.stopBroker(0);
      expect(await canConnect(port)).toBe(false);
      await cluster.startBroker(0);
      expect(cluster.brokers[0]).toBe(`127.0.0.1:${port}`);

      await produce(kafka, topic, ['after']);
      expect(await consumeAll(kafka, topic, 2)).toEqual(['after', 'before']);
    } finally {
      await cluster.stop();
    }
  });

  it('rejects a port list that does not match the broker count', async () => {
    await expect(startKafka({ brokers: 2, ports: [1] })).rejects.toThrow(
      /2 brokers but 1 ports/,
    );
  });
});
