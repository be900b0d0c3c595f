import { screen } from '@testing-library/react';
import { backendError, mockStreamingApi } from '../../__testUtils__/fixtures';
import { renderForEntity } from '../../__testUtils__/render';
import { FreshnessCard } from './FreshnessCard';

const render = (api = mockStreamingApi()) =>
  renderForEntity(<FreshnessCard refreshIntervalMs={0} />, api);

describe('FreshnessCard', () => {
  it('shows the newest row per table, the ingest rate and the stale devices', async () => {
    await render();
    expect(
      await screen.findByText(
        'timescale/energy_readings',
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
    // The fixture's newest row is a few seconds old by the time the card renders.
    expect(screen.getByText(/^\d+s ago$/)).toBeInTheDocument();
    expect(screen.getByText('3.00/s')).toBeInTheDocument();
    expect(screen.getByText('meter2 (2h 0m ago)')).toBeInTheDocument();
  }, 30_000);

  it("shows a failing table's error in its row", async () => {
    await render();
    expect(
      await screen.findByText(
        /heatpump_readings does not exist/,
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
  }, 30_000);

  it('explains a missing permission', async () => {
    const error = await backendError(
      403,
      'permission streaming.timescale.read denied for component:default/timescaledb-sink',
    );
    await render(
      mockStreamingApi({ getTimescale: jest.fn().mockRejectedValue(error) }),
    );
    expect(
      await screen.findByText(
        /You may not read TimescaleDB data for this entity/,
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
  }, 30_000);
});
