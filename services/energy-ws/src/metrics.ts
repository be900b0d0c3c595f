import { metricsRegistry } from '@homelab/service-kit';

/** The homelab's existing Redpanda metric names, plus what an operator of the fan-out needs. */
export function createMetrics() {
  const metric = metricsRegistry();
  return {
    registry: metric.registry,
    consumed: metric.counter({
      name: 'redpanda_messages_consumed_total',
      help: 'Kafka records consumed by the live consumer',
      labelNames: ['topic', 'stream'] as const,
    }),
    lag: metric.gauge({
      name: 'redpanda_consumer_lag',
      help: 'Records between the live consumer and the partition high watermark',
      labelNames: ['group', 'topic', 'partition'] as const,
    }),
    broadcast: metric.counter({
      name: 'redpanda_broadcast_count',
      help: 'data messages handed to WebSocket clients (live and replayed)',
      labelNames: ['stream'] as const,
    }),
    clients: metric.gauge({
      name: 'redpanda_websocket_clients_connected',
      help: 'Authenticated WebSocket clients connected',
    }),
    slowConsumers: metric.counter({
      name: 'energy_ws_slow_consumer_disconnects_total',
      help: 'Clients cut off because their send queue exceeded server.maxSendQueueBytes',
    }),
    resumes: metric.counter({
      name: 'energy_ws_resumes_total',
      help: 'Resumed partitions by where the missed records came from (buffer, kafka, expired, none)',
      labelNames: ['source'] as const,
    }),
    replayed: metric.counter({
      name: 'energy_ws_replayed_records_total',
      help: 'Records sent to resuming clients from the buffer or from Kafka',
      labelNames: ['source'] as const,
    }),
    replays: metric.counter({
      name: 'energy_ws_kafka_replays_total',
      help: 'Kafka replays (one per stream of a resume) by outcome: completed, superseded or cancelled_waiting (no consumer created), cancelled (after joining began), failed',
      labelNames: ['outcome'] as const,
    }),
    authFailures: metric.counter({
      name: 'energy_ws_auth_failures_total',
      help: 'Connections refused for their token',
      labelNames: ['reason'] as const,
    }),
    refused: metric.counter({
      name: 'energy_ws_connections_refused_total',
      help: 'Connections refused before authentication, by reason (max_connections, unauthenticated, origin)',
      labelNames: ['reason'] as const,
    }),
    badFrames: metric.counter({
      name: 'energy_ws_client_errors_total',
      help: 'Client frames answered with an error, by code',
      labelNames: ['code'] as const,
    }),
    invalidRecords: metric.counter({
      name: 'energy_ws_invalid_records_total',
      help: 'Kafka records skipped because they are not canonical records',
      labelNames: ['topic'] as const,
    }),
    fanoutLatency: metric.histogram({
      name: 'energy_ws_fanout_latency_seconds',
      help: 'From the Kafka record timestamp (produce time) until the record was handed to every client socket',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    replayDuration: metric.histogram({
      name: 'energy_ws_kafka_replay_seconds',
      help: 'Time to replay missed records from Kafka for one resume',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
