import { createServer } from 'node:net';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import { KafkaClusters, readKafkaSettings } from './clusters';

describe('kafka config', () => {
  it("reads the community plugin's block and splits comma-separated brokers", () => {
    const settings = readKafkaSettings(
      new ConfigReader({
        kafka: {
          clientId: 'portal',
          clusters: [
            {
              name: 'local',
              brokers: ['127.0.0.1:9092, 127.0.0.1:9093'],
              dashboardUrl: 'http://console',
            },
            {
              name: 'prod',
              brokers: ['k1:9092'],
              ssl: true,
              sasl: { mechanism: 'plain', username: 'u', password: 'p' },
            },
          ],
        },
      }),
    );
    expect(settings.clientId).toBe('portal');
    expect(settings.clusters[0]).toMatchObject({
      brokers: ['127.0.0.1:9092', '127.0.0.1:9093'],
      dashboardUrl: 'http://console',
    });
    expect(settings.clusters[1]).toMatchObject({
      ssl: true,
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
    });
  });

  it('names the configured clusters for an unknown one', () => {
    const clusters = new KafkaClusters(
      readKafkaSettings(
        new ConfigReader({
          kafka: { clusters: [{ name: 'local', brokers: ['x:1'] }] },
        }),
      ),
      mockServices.logger.mock(),
    );
    expect(() =>
      clusters.cluster('prod', 'kafka.apache.org/consumer-groups'),
    ).toThrow(
      'annotation kafka.apache.org/consumer-groups names cluster "prod"; configured clusters are "local"',
    );
    const none = new KafkaClusters(
      readKafkaSettings(new ConfigReader({})),
      mockServices.logger.mock(),
    );
    expect(() => none.cluster('local')).toThrow(
      'configured clusters are none (add a kafka.clusters entry to app-config)',
    );
  });

  it('fails the uses queued behind a failed connect at once, instead of each trying again', async () => {
    // A "broker" that hangs up on every connection, counting them.
    let connections = 0;
    const server = createServer(socket => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const clusters = new KafkaClusters(
      readKafkaSettings(
        new ConfigReader({
          kafka: {
            clusters: [{ name: 'local', brokers: [`127.0.0.1:${port}`] }],
          },
        }),
      ),
      mockServices.logger.mock(),
    );
    try {
      const uses = Array.from({ length: 5 }, () =>
        clusters.withAdmin('local', admin => admin.listTopics()),
      );
      const results = await Promise.allSettled(uses);
      expect(results.every(r => r.status === 'rejected')).toBe(true);
      expect(connections).toBeGreaterThan(0);
      // kafkajs retries within the first connect (3 tries); the four queued behind it did not
      // connect at all, where they used to try 3 times each.
      expect(connections).toBeLessThanOrEqual(3);
    } finally {
      await clusters.close();
      await new Promise(resolve => server.close(resolve));
    }
  });
});
