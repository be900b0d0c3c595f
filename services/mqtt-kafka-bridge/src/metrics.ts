import { metricsRegistry } from '@homelab/service-kit';
import type { Registry } from 'prom-client';

export type BridgeMetrics = ReturnType<typeof createMetrics>;

/** `readPending` is sampled at scrape time, so the gauge needs no bookkeeping. */
export function createMetrics(readPending: () => number, registry?: Registry) {
  const metric = metricsRegistry(registry);
  return {
    registry: metric.registry,
    messagesIn: metric.counter({
      name: 'bridge_mqtt_messages_received_total',
      help: 'MQTT PUBLISHes received, by stream (or "unrouted")',
      labelNames: ['stream'],
    }),
    produced: metric.counter({
      name: 'bridge_kafka_records_produced_total',
      help: 'Canonical records acknowledged by Kafka, by topic',
      labelNames: ['topic'],
    }),
    deadLettered: metric.counter({
      name: 'bridge_dead_letters_total',
      help: 'Messages written to the DLQ and acknowledged by Kafka, by error class',
      labelNames: ['error_class'],
    }),
    pubacks: metric.counter({
      name: 'bridge_mqtt_pubacks_sent_total',
      help: 'PUBACKs sent to Mosquitto (each after the Kafka acknowledgement)',
    }),
    abandoned: metric.counter({
      name: 'bridge_mqtt_acks_abandoned_total',
      help: 'Messages whose PUBACK was never sent because the MQTT connection dropped first (Mosquitto redelivers them)',
    }),
    produceFailures: metric.counter({
      name: 'bridge_kafka_produce_failures_total',
      help: 'Failed produce attempts; the batch is retried until Kafka acknowledges it',
    }),
    recordErrors: metric.counter({
      name: 'bridge_kafka_record_errors_total',
      help: 'Produce requests Kafka refused because of a record (MESSAGE_TOO_LARGE, INVALID_RECORD, …), by error type; the record is isolated and dead-lettered',
      labelNames: ['type'],
    }),
    undeliverable: metric.counter({
      name: 'bridge_undeliverable_total',
      help: 'Messages Kafka refused even as a dead letter without payload; acknowledged and logged at error level',
    }),
    qos0Lost: metric.counter({
      name: 'bridge_mqtt_qos0_lost_total',
      help: 'QoS 0 messages that arrived after shutdown began (nobody resends QoS 0)',
    }),
    sessionLost: metric.counter({
      name: 'bridge_mqtt_session_lost_total',
      help: 'Reconnects where Mosquitto had no session for the bridge (sessionPresent=false): messages it held may be lost upstream',
    }),
    produceLatency: metric.histogram({
      name: 'bridge_kafka_produce_duration_seconds',
      help: 'Time for one batch from send to Kafka acknowledgement (acks=all)',
      buckets: [
        0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
      ],
    }),
    deliveryLatency: metric.histogram({
      name: 'bridge_delivery_duration_seconds',
      help: 'Time from receiving a PUBLISH to sending its PUBACK',
      buckets: [
        0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60,
      ],
    }),
    batchSize: metric.histogram({
      name: 'bridge_kafka_batch_size',
      help: 'Messages per produce request',
      buckets: [1, 10, 50, 100, 500, 1000, 2000, 5000],
    }),
    pendingAcks: metric.gauge({
      name: 'bridge_pending_acks',
      help: 'Messages received and not yet acknowledged to Mosquitto',
      collect() {
        this.set(readPending());
      },
    }),
    connected: metric.gauge({
      name: 'bridge_connection_up',
      help: '1 when the connection is up, by peer (mqtt, kafka)',
      labelNames: ['peer'],
    }),
    topicConfigDrift: metric.gauge({
      name: 'bridge_topic_config_mismatch',
      help: '1 for each existing topic whose partitions or config differ from the bridge config (reported, not changed)',
      labelNames: ['topic', 'setting'],
    }),
  };
}
