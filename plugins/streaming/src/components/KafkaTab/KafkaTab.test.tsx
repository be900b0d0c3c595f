import { screen } from '@testing-library/react';
import {
  backendError,
  entity,
  mockStreamingApi,
} from '../../__testUtils__/fixtures';
import { renderForEntity } from '../../__testUtils__/render';
import { KafkaTab } from './KafkaTab';

const render = (api = mockStreamingApi()) =>
  renderForEntity(<KafkaTab refreshIntervalMs={0} />, api);

describe('KafkaTab', () => {
  it('shows the summary first, then partitions with their lag states and the topic config', async () => {
    await render();
    expect(
      (
        await screen.findAllByText(
          'timescaledb-energy',
          {},
          { timeout: 10_000 },
        )
      ).length,
    ).toBeGreaterThan(0);
    // Summary figures of the group.
    expect(screen.getAllByText('1,234').length).toBeGreaterThan(0);
    expect(screen.getAllByText('1m 35s').length).toBeGreaterThan(0);
    expect(screen.getAllByText('not catching up').length).toBeGreaterThan(0);
    expect(screen.getByText('homelab.energy[0]')).toBeInTheDocument();
    expect(screen.getAllByTitle('lag growing').length).toBeGreaterThan(0);
    // The never-committed partition is flagged, not shown as 0.
    expect(
      screen.getAllByText('1 partition has no committed offset').length,
    ).toBeGreaterThan(0);
    expect(screen.getByText('no committed offset')).toBeInTheDocument();
    // Topic config in operator units.
    expect(screen.getByText('1d 0h')).toBeInTheDocument();
    expect(screen.getByText('15m 0s')).toBeInTheDocument();
    expect(screen.getByText('delete')).toBeInTheDocument();
    expect(
      screen.getByText('Open the local cluster dashboard').closest('a'),
    ).toHaveAttribute('href', 'http://console.example/local');
  }, 30_000);

  it('honours kafka.apache.org/dashboard-urls as the community Kafka plugin writes it', async () => {
    const annotated = {
      ...entity,
      metadata: {
        ...entity.metadata,
        annotations: {
          ...entity.metadata.annotations,
          'kafka.apache.org/dashboard-urls':
            'local/timescaledb-energy/http://grafana.example/d/lag,local/https://grafana.example/d/kafka',
        },
      },
    };
    await renderForEntity(
      <KafkaTab refreshIntervalMs={0} />,
      mockStreamingApi(),
      annotated,
    );
    const clusterLink = await screen.findByText(
      'local dashboard',
      {},
      { timeout: 10_000 },
    );
    expect(clusterLink.closest('a')).toHaveAttribute(
      'href',
      'https://grafana.example/d/kafka',
    );
    // The group's own link replaces the cluster's configured dashboard on its card.
    expect(
      screen.getByText('Open the timescaledb-energy dashboard').closest('a'),
    ).toHaveAttribute('href', 'http://grafana.example/d/lag');
  }, 30_000);

  it('reports a malformed dashboard-urls annotation and still shows the tab', async () => {
    const annotated = {
      ...entity,
      metadata: {
        ...entity.metadata,
        annotations: {
          ...entity.metadata.annotations,
          'kafka.apache.org/dashboard-urls': 'grafana',
        },
      },
    };
    await renderForEntity(
      <KafkaTab refreshIntervalMs={0} />,
      mockStreamingApi(),
      annotated,
    );
    expect(
      await screen.findByText(
        /"grafana" is not of the form <cluster>\/\[<group>\/\]<http\(s\) url>/,
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
    expect(screen.getAllByText('1,234').length).toBeGreaterThan(0);
  }, 30_000);

  it("keeps the page when one group fails, and shows that group's error", async () => {
    await render();
    expect(
      (
        await screen.findAllByText(
          /cannot read consumer group energy-ws on cluster local/,
          {},
          { timeout: 10_000 },
        )
      ).length,
    ).toBeGreaterThan(0);
    expect(screen.getAllByText('1,234').length).toBeGreaterThan(0);
  }, 30_000);

  it('says which annotation to fix when the backend rejects it', async () => {
    const error = await backendError(
      400,
      'annotation kafka.apache.org/consumer-groups names cluster "prod"; configured clusters are "local"',
    );
    await render(
      mockStreamingApi({ getKafka: jest.fn().mockRejectedValue(error) }),
    );
    expect(
      await screen.findByText(
        /The entity's Kafka annotations cannot be used/,
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'annotation kafka.apache.org/consumer-groups names cluster "prod"; configured clusters are "local"',
      ),
    ).toBeInTheDocument();
  }, 30_000);

  it('explains a missing permission', async () => {
    const error = await backendError(
      403,
      'permission streaming.kafka.read denied for component:default/timescaledb-sink',
    );
    await render(
      mockStreamingApi({ getKafka: jest.fn().mockRejectedValue(error) }),
    );
    expect(
      await screen.findByText(
        /You may not read Kafka data for this entity/,
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/permission streaming.kafka.read denied/),
    ).toBeInTheDocument();
  }, 30_000);
});
