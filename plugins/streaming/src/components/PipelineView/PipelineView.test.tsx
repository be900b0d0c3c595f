import { screen, within } from '@testing-library/react';
import type { EntityPipelineResponse } from '@homelab/plugin-streaming-common';
import { backendError, mockStreamingApi } from '../../__testUtils__/fixtures';
import { renderForEntity } from '../../__testUtils__/render';
import { PipelineCard, PipelineView } from './PipelineView';

const response: EntityPipelineResponse = {
  entityRef: 'system:default/homelab-streaming',
  pipeline: 'homelab',
  fetchedAt: new Date().toISOString(),
  scrapeIntervalSeconds: 5,
  stages: [
    {
      id: 'mqtt-kafka-bridge',
      title: 'mqtt-kafka-bridge',
      component: 'mqtt-kafka-bridge',
      health: { status: 'ready' },
      rateIn: {
        value: 3.2,
        windowSeconds: 60,
        source: 'bridge_mqtt_messages_received_total',
      },
      rateOut: { value: 3.1, windowSeconds: 60 },
      backlog: { value: 0 },
      freshnessSeconds: { value: 2 },
      deadLetters: { value: 4, windowSeconds: 3600 },
      latency: {
        p50: 0.004,
        p99: 0.25,
        windowSeconds: 300,
        between: 'MQTT receive → PUBACK',
      },
    },
    {
      id: 'timescaledb-sink',
      title: 'timescaledb-sink',
      component: 'timescaledb-sink',
      health: {
        status: 'not-ready',
        reason: 'partitionsWaitingForDatabase: homelab.energy/0',
      },
      rateIn: { value: 3 },
      rateOut: { value: 3 },
      backlog: { value: 1234 },
      latency: {
        p50: null,
        p99: null,
        reason: 'no records observed in the last 300 s',
        between: 'x',
      },
    },
    {
      id: 'energy-ws',
      title: 'energy-ws',
      component: 'energy-ws',
      health: {
        status: 'unknown',
        reason: 'health of energy-ws unreachable: connection refused',
      },
      rateIn: {
        value: null,
        reason: 'metrics of energy-ws unreachable: connection refused',
      },
    },
  ],
};

const api = (getPipeline: jest.Mock) => mockStreamingApi({ getPipeline });
const row = (stage: string) =>
  document.querySelector(`tr[data-stage="${stage}"]`) as HTMLElement;

describe('PipelineView', () => {
  it('shows a row per stage with rates, lag, DLQ and latency', async () => {
    await renderForEntity(
      <PipelineView refreshIntervalMs={0} />,
      api(jest.fn().mockResolvedValue(response)),
    );
    expect(
      await screen.findByText('mqtt-kafka-bridge', {}, { timeout: 10_000 }),
    ).toBeInTheDocument();
    const bridge = within(row('mqtt-kafka-bridge'));
    expect(bridge.getByText('3.20/s')).toBeInTheDocument();
    expect(bridge.getByText('3.10/s')).toBeInTheDocument();
    expect(bridge.getByText('2s ago')).toBeInTheDocument();
    expect(bridge.getByText('4')).toBeInTheDocument();
    expect(bridge.getByText('4.0 ms')).toBeInTheDocument();
    expect(bridge.getByText('250 ms')).toBeInTheDocument();
    const sink = within(row('timescaledb-sink'));
    expect(sink.getByText('1,234')).toBeInTheDocument();
    expect(
      sink.getByText('partitionsWaitingForDatabase: homelab.energy/0'),
    ).toBeInTheDocument();
    expect(
      sink.getByText('no records observed in the last 300 s'),
    ).toBeInTheDocument();
  }, 30_000);

  it('shows an unreachable stage as unknown with the reason, never as 0', async () => {
    await renderForEntity(
      <PipelineView refreshIntervalMs={0} />,
      api(jest.fn().mockResolvedValue(response)),
    );
    await screen.findByText('energy-ws', {}, { timeout: 10_000 });
    const ws = within(row('energy-ws'));
    expect(
      ws.getByText('metrics of energy-ws unreachable: connection refused'),
    ).toBeInTheDocument();
    expect(ws.getAllByText('unknown').length).toBeGreaterThanOrEqual(2);
    expect(ws.queryByText('0')).toBeNull();
    expect(ws.queryByText('0.00/s')).toBeNull();
  }, 30_000);

  it('shows progress while loading', async () => {
    await renderForEntity(
      <PipelineView refreshIntervalMs={0} />,
      api(jest.fn(() => new Promise(() => {}))),
    );
    expect(
      await screen.findByTestId('progress', {}, { timeout: 10_000 }),
    ).toBeInTheDocument();
  }, 30_000);

  it('names the missing permission on a 403', async () => {
    const error = await backendError(
      403,
      'permission streaming.pipeline.read denied for system:default/homelab-streaming',
    );
    await renderForEntity(
      <PipelineView refreshIntervalMs={0} />,
      api(jest.fn().mockRejectedValue(error)),
    );
    expect(
      await screen.findByText(
        /You may not read pipeline data/,
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/permission streaming.pipeline.read denied/),
    ).toBeInTheDocument();
  }, 30_000);

  it('says so when the pipeline has no stages', async () => {
    await renderForEntity(
      <PipelineView refreshIntervalMs={0} />,
      api(jest.fn().mockResolvedValue({ ...response, stages: [] })),
    );
    expect(
      await screen.findByText(
        'This pipeline has no stages',
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
  }, 30_000);

  it("the service card shows only the service's own stage", async () => {
    // The fixture entity is component:default/timescaledb-sink.
    await renderForEntity(
      <PipelineCard refreshIntervalMs={0} />,
      api(jest.fn().mockResolvedValue(response)),
    );
    expect(
      await screen.findByText('timescaledb-sink', {}, { timeout: 10_000 }),
    ).toBeInTheDocument();
    expect(screen.queryByText('mqtt-kafka-bridge')).toBeNull();
    expect(screen.getByText('1,234')).toBeInTheDocument();
    expect(
      screen.getByText('partitionsWaitingForDatabase: homelab.energy/0'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('no records observed in the last 300 s'),
    ).toBeInTheDocument();
  }, 30_000);
});
