import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import { KafkaClusters, readKafkaSettings } from './clusters';

describe('kafka config', () => {
  it('reads the community plugin\'s block and splits comma-separated brokers', () => {
    const settings = readKafkaSettings(
      new ConfigReader({
        kafka: {
          clientId: 'portal',
          clusters: [
            { name: 'local', brokers: ['127.0.0.1:9092, 127.0.0.1:9093'], dashboardUrl: 'http://console' },
            { name: 'prod', brokers: ['k1:9092'], ssl: true, sasl: { mechanism: 'plain', username: 'u', password: 'p' } },
          ],
        },
      }),
    );
    expect(settings.clientId).toBe('portal');
    expect(settings.clusters[0]).toMatchObject({ brokers: ['127.0.0.1:9092', '127.0.0.1:9093'], dashboardUrl: 'http://console' });
    expect(settings.clusters[1]).toMatchObject({ ssl: true, sasl: { mechanism: 'plain', username: 'u', password: 'p' } });
  });

  it('names the configured clusters for an unknown one', () => {
    const clusters = new KafkaClusters(
      readKafkaSettings(new ConfigReader({ kafka: { clusters: [{ name: 'local', brokers: ['x:1'] }] } })),
      mockServices.logger.mock(),
    );
    expect(() => clusters.cluster('prod', 'kafka.apache.org/consumer-groups')).toThrow(
      'annotation kafka.apache.org/consumer-groups names cluster "prod"; configured clusters are "local"',
    );
    const none = new KafkaClusters(readKafkaSettings(new ConfigReader({})), mockServices.logger.mock());
    expect(() => none.cluster('local')).toThrow('configured clusters are none (add a kafka.clusters entry to app-config)');
  });
});
