import {
  CanonicalRecord,
  DLQ_HEADERS,
  SOURCE_HEADERS,
} from '@homelab/pipeline-contracts';
import type { Message } from 'kafkajs';
import { createHash } from 'node:crypto';
import { MqttMessage, Rejection } from './normalise';

export const SERVICE_NAME = 'mqtt-kafka-bridge';

/** A record or dead letter addressed to its Kafka topic. */
export interface OutgoingMessage {
  topic: string;
  message: Message;
  /** estimatedBytes(message), when already known: batch.ts sums it for every batch. */
  bytes?: number;
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

const QOS_TEXT = ['0', '1', '2'] as const;

/** The canonical record, keyed by device id so per-device order holds on one partition. */
export function recordMessage(
  topic: string,
  record: CanonicalRecord,
  m: MqttMessage,
): OutgoingMessage {
  // Built in one literal: this runs for every message (see docs/benchmark.md).
  return {
    topic,
    message: {
      key: record.device_id,
      value: JSON.stringify(record),
      headers: {
        [SOURCE_HEADERS.mqttTopic]: m.topic,
        [SOURCE_HEADERS.qos]: QOS_TEXT[m.qos],
        [SOURCE_HEADERS.retained]: m.retained ? 'true' : 'false',
        [SOURCE_HEADERS.bridgeId]: record.source.bridge_id,
        [SOURCE_HEADERS.receivedAt]: record.received_at,
        [SOURCE_HEADERS.stream]: record.stream,
      },
    },
  };
}

/** Headers naming the original size and SHA-256 when a dead letter's value was cut. */
export const DLQ_ORIGINAL_BYTES_HEADER = 'dlq.payload.original_bytes';
export const DLQ_SHA256_HEADER = 'dlq.payload.sha256';

/** Header values a stranger controls (topic, reason) are clipped to this many characters. */
const MAX_HEADER_CHARS = 2048;
const clip = (text: string) =>
  text.length > MAX_HEADER_CHARS ? `${text.slice(0, MAX_HEADER_CHARS)}…` : text;

function bytes(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/**
 * An upper bound of the message's size in a Kafka record batch (v2): its
 * key, value and headers plus the largest varints of their lengths.
 */
export function estimatedBytes(message: Message): number {
  let total = 36 + bytes(message.key) + bytes(message.value);
  const headers = message.headers;
  if (!headers) return total;
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const value = headers[name];
    if (Array.isArray(value))
      for (const v of value) total += 10 + bytes(name) + bytes(v);
    else total += 10 + bytes(name) + bytes(value);
  }
  return total;
}

/**
 * The original payload bytes, untouched, with the reason in headers. A dead
 * letter always fits in `maxBytes` (Kafka's limit, read at start): a payload
 * that would not is cut, and headers give its original size and SHA-256. A
 * dead letter that cannot be written would hold every PUBACK behind it.
 * `withPayload: false` is the last resort when Kafka refused even that.
 */
export function deadLetterMessage(
  topic: string,
  m: MqttMessage,
  rejection: Rejection & { deviceId?: string },
  options: {
    bridgeId: string;
    nowMs: number;
    maxBytes: number;
    /** The payload is also cut at this many bytes (the bridge's own payload limit). */
    maxValueBytes?: number;
    withPayload?: boolean;
  },
): OutgoingMessage {
  const headers: Record<string, string> = {
    ...sourceHeaders(m, options.bridgeId),
    [SOURCE_HEADERS.mqttTopic]: clip(m.topic),
    [DLQ_HEADERS.errorClass]: rejection.errorClass,
    [DLQ_HEADERS.reason]: clip(rejection.reason),
    [DLQ_HEADERS.service]: SERVICE_NAME,
    [DLQ_HEADERS.failedAt]: new Date(options.nowMs).toISOString(),
    [DLQ_HEADERS.attempts]: '1',
    [DLQ_HEADERS.mqttTopic]: clip(m.topic),
  };
  const cutHeaders = {
    [DLQ_ORIGINAL_BYTES_HEADER]: String(m.payload.length),
    [DLQ_SHA256_HEADER]: createHash('sha256').update(m.payload).digest('hex'),
  };
  // A key on every dead letter, so it lands on the same partition every time it is sent.
  const key = rejection.deviceId ?? m.topic.slice(0, 256);
  const room = Math.max(
    0,
    options.maxBytes -
      estimatedBytes({
        key,
        value: null,
        headers: { ...headers, ...cutHeaders },
      }),
  );
  const budget =
    options.withPayload === false
      ? 0
      : Math.min(room, options.maxValueBytes ?? room);
  const cut = m.payload.length > budget;
  return {
    topic,
    message: {
      key,
      value: cut ? m.payload.subarray(0, budget) : m.payload,
      headers: cut ? { ...headers, ...cutHeaders } : headers,
    },
  };
}
