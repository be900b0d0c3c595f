import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { requireBinary } from '../process/binaries';
import { runOrThrow } from '../process/run';
import { testInfra } from '../testInfra';
import { unique } from '@homelab/test-kit';
import { parseConsumerGroupDescribe } from './consumerGroupOutput';
import { CONSUMER_GROUP_COMMAND, kafkaTool } from './tool';

jest.setTimeout(180_000);

/*
 * The same facts as kafka.integration.test.ts, checked by clients that share no code with
 * kafkajs: Kafka's own consumer-group command (from the broker's jars) and kcat.
 */
describe('Kafka offsets through independent referees', () => {
  const brokers = testInfra().kafkaBrokers;
  const kafka = new Kafka({
    clientId: 'infra-referee-test',
    brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const topic = unique('infra-referee');
  const groupId = unique('infra-referee-group');

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 2 }],
    });
    // Idempotent: a retry under load must not add duplicates that would skew the counts.
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
    });
    await producer.connect();
    const send = (from: number, count: number) =>
      producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: count }, (_, i) => ({
          key: `k${from + i}`,
          partition: (from + i) % 2,
          value: `v${from + i}`,
        })),
      });
    await send(0, 10);

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({ eachMessage: async () => void (++seen === 10 && resolve()) })
        .catch(reject);
    });
    await consumer.disconnect();
    // Produced after the group stopped: the referees must report them as lag.
    await send(10, 3);
    await producer.disconnect();
  });
  afterAll(() => admin.disconnect());

  it("Kafka's consumer-group command agrees with kafkajs on offsets and lag", async () => {
    const output = await kafkaTool(CONSUMER_GROUP_COMMAND, [
      '--bootstrap-server',
      brokers.join(','),
      '--describe',
      '--group',
      groupId,
    ]);
    const rows = parseConsumerGroupDescribe(output).filter(
      r => r.topic === topic,
    );
    expect(rows).toHaveLength(2);

    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const watermarks = await admin.fetchTopicOffsets(topic);
    for (const row of rows) {
      const offset = Number(
        committed.partitions.find(p => p.partition === row.partition)!.offset,
      );
      const high = Number(
        watermarks.find(w => w.partition === row.partition)!.high,
      );
      expect(row).toMatchObject({
        group: groupId,
        currentOffset: offset,
        logEndOffset: high,
        lag: high - offset,
      });
    }
    expect(rows.reduce((sum, r) => sum + r.lag!, 0)).toBe(3);
    expect(rows.reduce((sum, r) => sum + r.logEndOffset!, 0)).toBe(13);
  });

  it('kcat sees the topic, its partitions and every record', async () => {
    const kcat = requireBinary({
      binary: 'kcat',
      providedBy: 'kcat (Debian package)',
    });
    const metadata = JSON.parse(
      await runOrThrow(
        'kcat -L',
        kcat,
        ['-b', brokers.join(','), '-L', '-J', '-t', topic],
        { timeoutMs: 30_000 },
      ),
    );
    expect(metadata.topics[0]).toMatchObject({
      topic,
      partitions: expect.any(Array),
    });
    expect(metadata.topics[0].partitions).toHaveLength(2);

    const consumed = await runOrThrow(
      'kcat -C',
      kcat,
      [
        '-b',
        brokers.join(','),
        '-C',
        '-t',
        topic,
        '-o',
        'beginning',
        '-e',
        '-q',
        '-f',
        '%k=%s\\n',
      ],
      {
        timeoutMs: 30_000,
      },
    );
    const records = consumed.trim().split('\n').sort();
    expect(records).toHaveLength(13);
    expect(records).toContain('k12=v12');
  });
});
