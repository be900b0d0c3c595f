import { metricsRegistry } from '@homelab/service-kit';
import type { Registry } from 'prom-client';

export type SimulatorMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(readPending: () => number, registry?: Registry) {
  const metric = metricsRegistry(registry);
  return {
    registry: metric.registry,
    published: metric.counter({
      name: 'simulator_messages_published_total',
      help: 'Messages Mosquitto acknowledged (PUBACK for QoS 1), by stream',
      labelNames: ['stream'],
    }),
    failed: metric.counter({
      name: 'simulator_publish_failures_total',
      help: 'Publishes that failed (the client gave up or was closed), by stream',
      labelNames: ['stream'],
    }),
    dropped: metric.counter({
      name: 'simulator_messages_dropped_total',
      help: 'Samples never sent, by stream and reason (backpressure: too many awaiting PUBACK; behind-schedule: skipped after a stall)',
      labelNames: ['stream', 'reason'],
    }),
    ackLatency: metric.histogram({
      name: 'simulator_publish_ack_duration_seconds',
      help: 'Time from publish to PUBACK',
      buckets: [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
      ],
    }),
    pending: metric.gauge({
      name: 'simulator_pending_acks',
      help: 'Messages published and not yet acknowledged by Mosquitto',
      collect() {
        this.set(readPending());
      },
    }),
    connected: metric.gauge({
      name: 'simulator_mqtt_connection_up',
      help: '1 while connected to Mosquitto',
    }),
    rateMultiplier: metric.gauge({
      name: 'simulator_rate_multiplier',
      help: "Multiplier applied to the fleet's configured message rates",
    }),
    expectedRate: metric.gauge({
      name: 'simulator_expected_messages_per_second',
      help: 'Configured message rate, by stream, to compare with rate(simulator_messages_published_total[5m])',
      labelNames: ['stream'],
    }),
  };
}
