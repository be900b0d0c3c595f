/**
 * Kafka header names. The source metadata travels in headers as well as in
 * the record, so tools like kcat can route or filter without parsing JSON.
 */
export const SOURCE_HEADERS = {
  mqttTopic: 'source.mqtt_topic',
  qos: 'source.qos',
  retained: 'source.retained',
  bridgeId: 'source.bridge_id',
  receivedAt: 'received_at',
  stream: 'stream',
} as const;

/**
 * Dead-letter headers, shared by every service that writes to homelab.dlq, so
 * one runbook explains every dead letter whichever service sent it.
 */
export const DLQ_HEADERS = {
  errorClass: 'dlq.error.class',
  reason: 'dlq.error.reason',
  service: 'dlq.service',
  failedAt: 'dlq.failed_at',
  attempts: 'dlq.attempts',
  mqttTopic: 'dlq.source.mqtt_topic',
  topic: 'dlq.source.topic',
  partition: 'dlq.source.partition',
  offset: 'dlq.source.offset',
} as const;

/** Reads a header value from kafkajs' loosely typed header map. */
export function headerValue(
  headers:
    | Record<string, Buffer | string | (Buffer | string)[] | undefined>
    | undefined,
  name: string,
): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  return first === undefined ? undefined : first.toString();
}

/**
 * Why the bridge refused an MQTT message, as its `dlq.error.class` header.
 * Classes are stable (alerts and runbooks key on them); the reason header
 * is the human detail.
 */
export const BRIDGE_DLQ_CLASSES = [
  'too-large',
  'not-json',
  'not-an-object',
  'no-numeric-field',
  'bad-timestamp',
  'no-device-id',
  'unknown-topic',
  'extra-topic-levels',
  'device-id-too-long',
  'bad-device-id',
  'too-many-fields',
  'field-name-too-long',
  'too-deep',
  /** Kafka itself refused the record (e.g. MESSAGE_TOO_LARGE). */
  'kafka-rejected',
] as const;

export type BridgeDeadLetterClass = (typeof BRIDGE_DLQ_CLASSES)[number];

/** Why a consumer could not read a Kafka record as a canonical record. */
export const RECORD_DLQ_CLASSES = ['not-json', 'invalid-record'] as const;

export type RecordDeadLetterClass = (typeof RECORD_DLQ_CLASSES)[number];

/**
 * The sink's class for a row the database refused: `db-<SQLSTATE>`, or
 * `db-error` when the error carries none.
 */
export function databaseDeadLetterClass(sqlState: string | undefined): string {
  return sqlState ? `db-${sqlState}` : 'db-error';
}

/** Every class a dead letter may carry, for dashboards and runbooks. */
export type DeadLetterClass =
  | BridgeDeadLetterClass
  | RecordDeadLetterClass
  | `db-${string}`;
