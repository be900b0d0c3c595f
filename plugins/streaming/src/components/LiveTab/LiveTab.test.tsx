/**
 * @jest-environment-options {"customExportConditions": ["node", "node-addons"]}
 */
// The export conditions let this jsdom test load the real `ws` server (its
// "browser" export is a stub); the tab itself uses jsdom's WebSocket.
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import type {
  LiveHistoryResponse,
  LiveTokenResponse,
} from '@homelab/plugin-streaming-common';
import { backendError } from '../../__testUtils__/fixtures';
import { StreamingLiveApi, streamingLiveApiRef } from '../../live';
import { EnergyWsTestServer } from '../../live/__testUtils__/EnergyWsTestServer';
import { LiveTab } from './LiveTab';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'energy-ws',
    namespace: 'default',
    annotations: { 'streaming.homelab.dev/live-streams': 'energy' },
  },
  spec: {
    type: 'service',
    owner: 'group:homelab-team',
    lifecycle: 'production',
  },
};

const fast = {
  backoff: { initialMs: 50, maxMs: 300, jitter: 0 },
  openTimeoutMs: 2000,
  pingIntervalMs: 1000,
  errorAfterAttempts: 4,
};

function history(now = Date.now()): LiveHistoryResponse {
  return {
    stream: 'energy',
    minutes: 15,
    source: 'timescale/energy_readings',
    truncated: false,
    points: [3, 2].map(s => ({
      ts: new Date(now - s * 1000).toISOString(),
      deviceId: 'meter1',
      fields: { active_power_total: 1000 + s, voltage_l1: 230 },
    })),
  };
}

function liveApi(
  server: EnergyWsTestServer,
  overrides: Partial<StreamingLiveApi> = {},
) {
  return {
    getLiveToken: jest.fn(
      async (): Promise<LiveTokenResponse> => server.token(),
    ),
    getLiveHistory: jest.fn(async () => history()),
    ...overrides,
  };
}

const status = () =>
  screen.getByTestId('live-connection').getAttribute('data-status');
const reason = () =>
  screen.queryByTestId('live-connection-reason')?.textContent ?? '';
const points = () =>
  screen.getByTestId('live-chart').getAttribute('data-points');
const value = (field: string, device = 'meter1') =>
  screen
    .queryByTestId(`live-value-${device}-${field}`)
    ?.querySelectorAll('td')[2].textContent;

async function renderTab(api: StreamingLiveApi, forEntity: Entity = entity) {
  await renderInTestApp(
    <EntityProvider entity={forEntity}>
      <LiveTab connection={fast} />
    </EntityProvider>,
    { apis: [[streamingLiveApiRef, api]] },
  );
}

/** Every data-status the indicator shows, including ones that last a single frame. */
function recordStatuses(): string[] {
  const seen = [status()!];
  const observer = new MutationObserver(() => {
    const now = status()!;
    if (seen[seen.length - 1] !== now) seen.push(now);
  });
  observer.observe(screen.getByTestId('live-connection'), { attributes: true });
  return seen;
}

jest.setTimeout(30_000);

describe('LiveTab', () => {
  let server: EnergyWsTestServer;
  beforeEach(async () => {
    server = await new EnergyWsTestServer().start();
  });
  afterEach(async () => {
    await server.close();
  });

  // RTL's waitFor, not a loop inside act(): act() holds React's updates until it returns.
  const waitUntil = (
    probe: () => boolean | undefined | null,
    what: string,
    timeoutMs = 10_000,
  ) =>
    waitFor(
      () => {
        if (!probe()) throw new Error(`still waiting for ${what}`);
      },
      { timeout: timeoutMs, interval: 20 },
    );

  it('shows the backfill, goes live and adds each record with its unit', async () => {
    const api = liveApi(server);
    await renderTab(api);
    expect(status()).toBe('connecting');
    expect(screen.getByTestId('live-connection-label')).toHaveTextContent(
      'Connecting…',
    );
    await waitUntil(() => status() === 'live', 'live');
    expect(screen.getByTestId('live-connection-label')).toHaveTextContent(
      'Live',
    );
    await waitUntil(
      () => value('active_power_total') === '1,002 W',
      'the backfilled latest value',
    );
    expect(value('voltage_l1')).toBe('230 V');
    expect(api.getLiveHistory).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'energy-ws' },
      { stream: 'energy', minutes: 15 },
    );
    expect(server.subscribes[0]).toEqual({
      streams: ['energy'],
      devices: undefined,
      resume: undefined,
    });

    server.publish('meter1', {
      active_power_total: 1289,
      total_energy_kwh: 12.45,
    });
    await waitUntil(
      () => value('active_power_total') === '1,289 W',
      'the live value',
    );
    expect(value('total_energy_kwh')).toBe('12.45 kWh');
    await waitUntil(
      () => points() === 'meter1:3',
      'two backfilled and one live point',
    );
  });

  it('gives each stream its own chart, units and default fields, with only series that have data in the legend', async () => {
    const allStreams: Entity = {
      ...entity,
      metadata: {
        ...entity.metadata,
        annotations: {
          'streaming.homelab.dev/live-streams': 'energy,heatpump,temperature',
        },
      },
    };
    const api = liveApi(server, {
      getLiveHistory: jest.fn(async (_ref, { stream }) => ({
        ...history(),
        stream,
        points: stream === 'energy' ? history().points : [],
      })),
    });
    await renderTab(api, allStreams);
    await waitUntil(() => status() === 'live', 'live');
    const lines = (stream: string) =>
      screen.queryByTestId(`live-chart-${stream}`)?.getAttribute('data-lines');
    // Both meter payload shapes (power_kw; active_power_total), the heat pump's coded fields, a room sensor.
    server.publish('meter2', { power_kw: 3.2, voltage: 230, current: 13.9 });
    server.publish(
      'hp1',
      { d0: 4.5, d5: 35.1, d6: 30.2 },
      new Date(),
      'heatpump',
    );
    server.publish(
      'room1',
      { temperature_c: 21.4, humidity_pct: 40 },
      new Date(),
      'temperature',
    );
    await waitUntil(
      () => Boolean(lines('temperature')) && Boolean(lines('heatpump')),
      'a chart per stream',
    );
    await waitUntil(
      () =>
        lines('energy') ===
        'meter1 active_power_total (W)|meter2 power_kw (kW)',
      'both meters',
    );
    expect(lines('heatpump')).toBe(
      'hp1 d5 flow temperature (°C)|hp1 d6 return temperature (°C)',
    );
    expect(lines('temperature')).toBe('room1 temperature_c (°C)');
    expect(screen.getByText('Energy')).toBeInTheDocument();
    expect(screen.getByText('Heat pump')).toBeInTheDocument();
    expect(value('d5', 'hp1')).toBe('35.1 °C');
    expect(
      screen.getByTestId('live-value-hp1-d5').querySelectorAll('td')[1]
        .textContent,
    ).toBe('d5 flow temperature');
  });

  it('pauses the view while data keeps arriving, and shows it all on resume', async () => {
    await renderTab(
      liveApi(server, {
        getLiveHistory: jest.fn(async () => ({ ...history(), points: [] })),
      }),
    );
    await waitUntil(() => status() === 'live', 'live');
    server.publish('meter1', { power_kw: 1 });
    await waitUntil(() => value('power_kw') === '1 kW', 'first value');
    fireEvent.click(screen.getByTestId('live-pause'));
    expect(screen.getByTestId('live-paused')).toBeInTheDocument();
    server.publish('meter1', { power_kw: 2 }, new Date(Date.now() + 1000));
    await act(() => new Promise(r => setTimeout(r, 300)));
    expect(value('power_kw')).toBe('1 kW');
    fireEvent.click(screen.getByTestId('live-pause'));
    await waitUntil(
      () => value('power_kw') === '2 kW',
      'the value that arrived while paused',
    );
    expect(points()).toBe('meter1:2');
  });

  it('shows reconnecting when energy-ws goes away, then live again with the missed records', async () => {
    await renderTab(
      liveApi(server, {
        getLiveHistory: jest.fn(async () => ({ ...history(), points: [] })),
      }),
    );
    await waitUntil(() => status() === 'live', 'live');
    const start = Date.now();
    for (let i = 0; i < 3; i++)
      server.publish('meter1', { power_kw: i }, new Date(start + i * 1000));
    await waitUntil(() => points() === 'meter1:3', 'three points');
    const port = server.port;
    await server.kill();
    await waitUntil(() => status() === 'reconnecting', 'reconnecting');
    expect(screen.getByTestId('live-connection-label')).toHaveTextContent(
      'Reconnecting…',
    );
    // The first reconnect (50 ms later) may already have failed by the time React renders.
    expect(reason()).toMatch(
      /^(the connection to energy-ws was lost \(close code 1006\)|cannot reach energy-ws at ws:\/\/127\.0\.0\.1:\d+\/ws\/energy)$/,
    );

    // Records published while energy-ws was down are still in Kafka (the log).
    const restarted = new EnergyWsTestServer();
    (restarted as any).log = (server as any).log;
    for (let i = 3; i < 6; i++)
      restarted.publish('meter1', { power_kw: i }, new Date(start + i * 1000));
    server = await restarted.start(port);
    await waitUntil(() => status() === 'live', 'live again');
    expect(server.subscribes[0].resume).toEqual(['energy:0:2']);
    server.publish('meter1', { power_kw: 6 }, new Date(start + 6000));
    await waitUntil(
      () => points() === 'meter1:7',
      'seven points, none missing',
    );
    expect(value('power_kw')).toBe('6 kW');
  });

  it('refreshes the token before it expires without leaving live', async () => {
    const getLiveToken = jest.fn(async () => server.token(3000));
    await renderTab(liveApi(server, { getLiveToken }));
    await waitUntil(() => status() === 'live', 'live');
    const statuses = recordStatuses();
    await waitUntil(
      () => getLiveToken.mock.calls.length >= 3,
      'two refreshes',
      15_000,
    );
    server.publish('meter1', { power_kw: 42 });
    await waitUntil(
      () => value('power_kw') === '42 kW',
      'data on the new connection',
    );
    expect(statuses).toEqual(['live']);
    expect(server.offeredTokens.length).toBeGreaterThanOrEqual(3);
  });

  it('says the token route refused (401) and offers a retry', async () => {
    const getLiveToken = jest
      .fn()
      .mockRejectedValue(await backendError(401, 'Missing credentials'));
    await renderTab(liveApi(server, { getLiveToken }));
    await waitUntil(() => status() === 'error', 'error');
    expect(screen.getByTestId('live-connection-label')).toHaveTextContent(
      'Error',
    );
    expect(reason()).toBe(
      'the streaming backend gave no live token (HTTP 401): Missing credentials',
    );
    expect(server.offeredTokens).toEqual([]);
    getLiveToken.mockImplementation(async () => server.token());
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitUntil(() => status() === 'live', 'live after retry');
  });

  it('shows UNAUTHORIZED from energy-ws with its reason', async () => {
    server.rejectTokens = true;
    await renderTab(liveApi(server));
    await waitUntil(() => status() === 'error', 'error');
    expect(screen.getByTestId('live-connection')).toHaveAttribute(
      'data-code',
      'UNAUTHORIZED',
    );
    expect(reason()).toBe(
      'energy-ws refused the token: Invalid token (UNAUTHORIZED)',
    );
  });

  it('turns "server gone" into an error naming the address, and recovers when it is back', async () => {
    await renderTab(liveApi(server));
    await waitUntil(() => status() === 'live', 'live');
    const port = server.port;
    await server.kill();
    await waitUntil(
      () => status() === 'error',
      'error after repeated failures',
      8000,
    );
    expect(screen.getByTestId('live-connection')).toHaveAttribute(
      'data-code',
      'UNREACHABLE',
    );
    expect(reason()).toBe(
      `cannot reach energy-ws at ws://127.0.0.1:${port}/ws/energy`,
    );
    expect(
      screen.getByText(/retrying in \d+ s \(attempt \d+\)/),
    ).toBeInTheDocument();
    server = await new EnergyWsTestServer().start(port);
    await waitUntil(
      () => status() === 'live',
      'live once the server is back',
      8000,
    );
  });

  it('explains a malformed annotation', async () => {
    await renderInTestApp(
      <EntityProvider
        entity={{
          ...entity,
          metadata: {
            ...entity.metadata,
            annotations: { 'streaming.homelab.dev/live-streams': 'gas' },
          },
        }}
      >
        <LiveTab connection={fast} />
      </EntityProvider>,
      { apis: [[streamingLiveApiRef, liveApi(server)]] },
    );
    expect(
      screen.getByText(/"gas" is not of the form <stream>\[:<device>\]/),
    ).toBeInTheDocument();
  });
});
