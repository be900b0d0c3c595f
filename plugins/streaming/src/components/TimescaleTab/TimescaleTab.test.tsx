import { screen, waitFor } from '@testing-library/react';
import {
  backendError,
  mockStreamingApi,
  timescaleResponse,
} from '../../__testUtils__/fixtures';
import { renderForEntity } from '../../__testUtils__/render';
import { TimescaleTab } from './TimescaleTab';

const render = (api = mockStreamingApi()) =>
  renderForEntity(<TimescaleTab refreshIntervalMs={0} />, api);

describe('TimescaleTab', () => {
  it('shows a card per hypertable with size, compression, chunks, freshness, jobs and history', async () => {
    const api = await render();
    // The app settles after the history loads; assert on the settled page.
    await waitFor(
      () =>
        expect(
          screen.getByText('source: aggregate:energy_readings_hourly'),
        ).toBeInTheDocument(),
      {
        timeout: 15_000,
      },
    );
    expect(screen.getByText('timescale/energy_readings')).toBeInTheDocument();
    expect(screen.getByText('1.5 MB')).toBeInTheDocument();
    expect(screen.getByText('10.0×')).toBeInTheDocument();
    expect(screen.getByText('5 of 7 chunks compressed')).toBeInTheDocument();
    expect(screen.getByText('Rows (exact)')).toBeInTheDocument();
    expect(screen.getByText('120,000')).toBeInTheDocument();
    expect(screen.getByText('Write conflicts')).toBeInTheDocument();
    expect(
      screen.getByText(/^12 replays · last conflict 1m \d+s ago$/),
    ).toBeInTheDocument();
    expect(screen.getByText('3.00/s')).toBeInTheDocument();
    expect(screen.getByText('Compression Policy [1000]')).toBeInTheDocument();
    expect(
      screen.getByText(
        /energy_readings_hourly: materialised up to .* \(real-time; 448 rows since .* computed at query time only\)/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(/meter2: 2h 0m ago/)).toBeInTheDocument();
    expect(api.getTimescaleHistory).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'timescaledb-sink' },
      { table: 'timescale/energy_readings', bucket: 'hour' },
    );
  }, 30_000);

  it("says an aggregate is not materialised yet, labels an estimate, and shows a failed job's error text", async () => {
    const [energy] = timescaleResponse.tables;
    const job = energy.jobs![0];
    await render(
      mockStreamingApi({
        getTimescale: jest.fn(async () => ({
          ...timescaleResponse,
          tables: [
            {
              ...energy,
              rows: { count: 5_000_000, kind: 'estimate' as const },
              writeConflicts: undefined,
              continuousAggregates: [
                {
                  name: 'energy_readings_daily',
                  materializedOnly: true,
                  materialized: false,
                  watermark: null,
                  pendingRows: { count: 200_000, kind: 'at-least' as const },
                  pendingSince: null,
                },
              ],
              jobs: [
                {
                  ...job,
                  lastRunStatus: 'Failed',
                  totalFailures: 1,
                  lastError: {
                    message: 'division by zero',
                    at: new Date(Date.now() - 120_000).toISOString(),
                  },
                },
              ],
            },
          ],
        })),
      }),
    );
    expect(
      await screen.findByText(
        'energy_readings_daily: not materialised yet (materialised only; at least 200,000 rows not in it yet)',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Rows (estimate)')).toBeInTheDocument();
    expect(screen.getByText('≈ 5,000,000')).toBeInTheDocument();
    expect(
      screen.getByText(/^division by zero \(2m \d+s ago\)$/),
    ).toBeInTheDocument();
    // No conflicts table: no figure, and no error either.
    expect(screen.queryByText('Write conflicts')).not.toBeInTheDocument();
    expect(screen.queryByText(/4714/)).not.toBeInTheDocument();
  }, 30_000);

  it("shows a failing table's error next to the tables that work", async () => {
    await render();
    await waitFor(() =>
      expect(
        screen.getByText(/table heatpump_readings does not exist/),
      ).toBeInTheDocument(),
    );
    expect(screen.getByText('timescale/energy_readings')).toBeInTheDocument();
  }, 30_000);

  it('says TimescaleDB views are absent on plain PostgreSQL', async () => {
    const note =
      'the TimescaleDB extension is not installed in database "timescale": showing PostgreSQL table statistics only';
    await render(
      mockStreamingApi({
        getTimescale: jest.fn(async () => ({
          ...timescaleResponse,
          tables: [
            {
              database: 'timescale',
              table: 'energy_readings',
              timescale: false,
              note,
              rowEstimate: 10,
            },
          ],
        })),
      }),
    );
    await waitFor(() =>
      expect(screen.getByText(new RegExp(note))).toBeInTheDocument(),
    );
  }, 30_000);

  it('names the configured databases when the annotation names an unknown one', async () => {
    const message =
      'annotation streaming.homelab.dev/hypertables names database "warehouse"; configured databases are "timescale"';
    await render(
      mockStreamingApi({
        getTimescale: jest
          .fn()
          .mockRejectedValue(await backendError(400, message)),
      }),
    );
    expect(
      await screen.findByText(
        /The entity's TimescaleDB annotations cannot be used/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(message)).toBeInTheDocument();
  }, 30_000);
});
