import { screen } from '@testing-library/react';
import { backendError, mockStreamingApi } from '../../__testUtils__/fixtures';
import { renderForEntity } from '../../__testUtils__/render';
import { KafkaTab } from './KafkaTab';

const render = (api = mockStreamingApi()) => renderForEntity(<KafkaTab refreshIntervalMs={0} />, api);

describe('KafkaTab', () => {
  it('shows the summary first, then partitions with their lag states and the topic config', async () => {
    await render();
    expect((await screen.findAllByText('timescaledb-energy', {}, { timeout: 10_000 })).length).toBeGreaterThan(0);
    // Summary figures of the group.
    expect(screen.getAllByText('1,234').length).toBeGreaterThan(0);
    expect(screen.getAllByText('1m 35s').length).toBeGreaterThan(0);
    expect(screen.getAllByText('not catching up').length).toBeGreaterThan(0);
    expect(screen.getByText('homelab.energy[0]')).toBeInTheDocument();
    expect(screen.getAllByTitle('lag growing').length).toBeGreaterThan(0);
    // The never-committed partition is flagged, not shown as 0.
    expect(screen.getAllByText('1 partition has no committed offset').length).toBeGreaterThan(0);
    expect(screen.getByText('no committed offset')).toBeInTheDocument();
    // Topic config in operator units.
    expect(screen.getByText('1d 0h')).toBeInTheDocument();
    expect(screen.getByText('15m 0s')).toBeInTheDocument();
    expect(screen.getByText('delete')).toBeInTheDocument();
    expect(screen.getByText('Open the local cluster dashboard').closest('a')).toHaveAttribute(
      'href',
      'http://console.example/local',
    );
  }, 30_000);

  it('keeps the page when one group fails, and shows that group\'s error', async () => {
    await render();
    expect(
      (await screen.findAllByText(/cannot read consumer group energy-ws on cluster local/, {}, { timeout: 10_000 })).length,
    ).toBeGreaterThan(0);
    expect(screen.getAllByText('1,234').length).toBeGreaterThan(0);
  }, 30_000);

  it('says which annotation to fix when the backend rejects it', async () => {
    const error = await backendError(
      400,
      'annotation kafka.apache.org/consumer-groups names cluster "prod"; configured clusters are "local"',
    );
    await render(mockStreamingApi({ getKafka: jest.fn().mockRejectedValue(error) }));
    expect(await screen.findByText(/The entity's Kafka annotations cannot be used/, {}, { timeout: 10_000 })).toBeInTheDocument();
    expect(
      screen.getByText('annotation kafka.apache.org/consumer-groups names cluster "prod"; configured clusters are "local"'),
    ).toBeInTheDocument();
  }, 30_000);

  it('explains a missing permission', async () => {
    const error = await backendError(403, 'permission streaming.kafka.read denied for component:default/timescaledb-sink');
    await render(mockStreamingApi({ getKafka: jest.fn().mockRejectedValue(error) }));
    expect(await screen.findByText(/You may not read Kafka data for this entity/, {}, { timeout: 10_000 })).toBeInTheDocument();
    expect(screen.getByText(/permission streaming.kafka.read denied/)).toBeInTheDocument();
  }, 30_000);
});
