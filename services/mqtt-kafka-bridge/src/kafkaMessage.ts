import {
  CanonicalRecord,
  DLQ_HEADERS,
  SOURCE_HEADERS,
} from '@homelab/plugin-streaming-common';
import type { Message } from 'kafkajs';
import { MqttMessage, Rejection } from './record';

export const SERVICE_NAME = 'mqtt-kafka-bridge';

/** A record or dead letter addressed to its Kafka topic. */
export interface OutgoingMessage {
  topic: string;
  message: Message;
}

function sourceHeaders(
  m: MqttMessage,
  bridgeId: string,
): Record<string, string> {
  return {
    [SOURCE_HEADERS.mqttTopic]: m.topic,
    [SOURCE_HEADERS.qos]: String(m.qos),
    [SOURCE_HEADERS.retained]: String(m.retained),
    [SOURCE_HEADERS.bridgeId]: bridgeId,
  };
}

/** The canonical record, keyed by device id so per-device order holds on one partition. */
export function recordMessage(
  topic: string,
  record: CanonicalRecord,
  m: MqttMessage,
): OutgoingMessage {
  return {
    topic,
    message: {
      key: record.device_id,
      value: JSON.stringify(record),
      headers: {
        ...sourceHeaders(m, record.source.bridge_id),
        [SOURCE_HEADERS.receivedAt]: record.received_at,
        [SOURCE_HEADERS.stream]: record.stream,
      },
    },
  };
}

/** Header naming the original size when a dead letter's value was cut. */
export const DLQ_ORIGINAL_BYTES_HEADER = 'dlq.payload.original_bytes';

/**
 * The original payload bytes, untouched, with the reason in headers. A payload
 * over `maxValueBytes` is cut to that size: Kafka would refuse the whole
 * message (message.max.bytes is 1 MB by default), and a dead letter that
 * cannot be written would block every PUBACK behind it.
 */
export function deadLetterMessage(
  topic: string,
  m: MqttMessage,
  rejection: Rejection & { deviceId?: string },
  options: { bridgeId: string; nowMs: number; maxValueBytes: number },
): OutgoingMessage {
  const cut = m.payload.length > options.maxValueBytes;
  return {
    topic,
    message: {
      key: rejection.deviceId ?? null,
      value: cut ? m.payload.subarray(0, options.maxValueBytes) : m.payload,
      headers: {
        ...sourceHeaders(m, options.bridgeId),
        [DLQ_HEADERS.errorClass]: rejection.errorClass,
        [DLQ_HEADERS.reason]: rejection.reason,
        [DLQ_HEADERS.service]: SERVICE_NAME,
        [DLQ_HEADERS.failedAt]: new Date(options.nowMs).toISOString(),
        [DLQ_HEADERS.attempts]: '1',
        [DLQ_HEADERS.mqttTopic]: m.topic,
        ...(cut
          ? { [DLQ_ORIGINAL_BYTES_HEADER]: String(m.payload.length) }
          : {}),
      },
    },
  };
}
