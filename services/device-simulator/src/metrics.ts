import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
} from 'prom-client';

export type SimulatorMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(
  readPending: () => number,
  registry = new Registry(),
) {
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    published: new Counter({
      name: 'simulator_messages_published_total',
      help: 'Messages Mosquitto acknowledged (PUBACK for QoS 1), by stream',
      labelNames: ['stream'],
      registers,
    }),
    failed: new Counter({
      name: 'simulator_publish_failures_total',
      help: 'Publishes that failed (the client gave up or was closed), by stream',
      labelNames: ['stream'],
      registers,
    }),
    dropped: new Counter({
      name: 'simulator_messages_dropped_total',
      help: 'Samples never sent, by stream and reason (backpressure: too many awaiting PUBACK; behind-schedule: skipped after a stall)',
      labelNames: ['stream', 'reason'],
      registers,
    }),
    ackLatency: new Histogram({
      name: 'simulator_publish_ack_duration_seconds',
      help: 'Time from publish to PUBACK',
      buckets: [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
      ],
      registers,
    }),
    pending: new Gauge({
      name: 'simulator_pending_acks',
      help: 'Messages published and not yet acknowledged by Mosquitto',
      registers,
      collect() {
        this.set(readPending());
      },
    }),
    connected: new Gauge({
      name: 'simulator_mqtt_connection_up',
      help: '1 while connected to Mosquitto',
      registers,
    }),
    rateMultiplier: new Gauge({
      name: 'simulator_rate_multiplier',
      help: "Multiplier applied to seed 002's message rates",
      registers,
    }),
    expectedRate: new Gauge({
      name: 'simulator_expected_messages_per_second',
      help: 'Configured message rate, by stream, to compare with rate(simulator_messages_published_total[5m])',
      labelNames: ['stream'],
      registers,
    }),
  };
}
