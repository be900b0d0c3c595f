import { screen } from '@testing-library/react';
import { backendError, mockStreamingApi } from '../../__testUtils__/fixtures';
import { renderForEntity } from '../../__testUtils__/render';
import { LagSummaryCard } from './LagSummaryCard';

const render = (api = mockStreamingApi()) =>
  renderForEntity(<LagSummaryCard refreshIntervalMs={0} />, api);

describe('LagSummaryCard', () => {
  it('shows each group with lag in records and time, trend and catch-up', async () => {
    await render();
    expect(
      await screen.findByText('timescaledb-energy', {}, { timeout: 10_000 }),
    ).toBeInTheDocument();
    expect(screen.getByText('1,234')).toBeInTheDocument();
    expect(screen.getByText('1m 35s')).toBeInTheDocument();
    expect(screen.getByTitle('lag growing')).toBeInTheDocument();
    expect(screen.getByText('not catching up')).toBeInTheDocument();
    expect(
      screen.getByText('1 partition has no committed offset'),
    ).toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'lag trend' })).toBeInTheDocument();
  }, 30_000);

  it("shows a failing group's error in its row", async () => {
    await render();
    expect(
      await screen.findByText(
        /cannot read consumer group energy-ws/,
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
  }, 30_000);

  it('shows what to fix when the backend refuses', async () => {
    const error = await backendError(
      400,
      'annotation kafka.apache.org/consumer-groups: "energy" is not of the form <cluster>/<group>',
    );
    await render(
      mockStreamingApi({ getKafka: jest.fn().mockRejectedValue(error) }),
    );
    expect(
      await screen.findByText(
        /is not of the form <cluster>\/<group>/,
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
  }, 30_000);
});
