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
