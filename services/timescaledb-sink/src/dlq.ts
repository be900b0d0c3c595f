import { createHash } from 'node:crypto';
import type { IHeaders, Message, Producer } from 'kafkajs';
import {
  DLQ_HEADERS,
  SOURCE_HEADERS,
  headerValue,
} from '@homelab/pipeline-contracts';

export const SERVICE_NAME = 'timescaledb-sink';

/**
 * Headers only the sink's dead letters carry. The original Kafka key moves
 * to a header because the letter's key is its source position.
 */
export const SINK_DLQ_HEADERS = {
  sourceKey: 'dlq.source.key',
  truncated: 'dlq.value.truncated',
  originalBytes: 'dlq.value.original_bytes',
  sha256: 'dlq.value.sha256',
} as const;

/** A Kafka record as it was read, kept so a dead letter can carry it unchanged. */
export interface SourceMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

export interface DeadLetter {
  message: SourceMessage;
  errorClass: string;
  reason: string;
  attempts: number;
}

/**
 * The dead letter's Kafka key: where the record came from. A replay of the
 * same source record yields the same key, so a DLQ consumer can drop
 * duplicates (the DLQ is at-least-once).
 */
export function deadLetterKey(message: SourceMessage): string {
  return `${message.topic}:${message.partition}:${message.offset}`;
}

/**
 * Headers of a dead letter: the original headers, then the shared DLQ headers
 * saying why and where from, so one runbook covers every service's letters.
 */
export function deadLetterHeaders(
  letter: DeadLetter,
  now = new Date(),
): IHeaders {
  const { message } = letter;
  const headers: IHeaders = { ...(message.headers ?? {}) };
  headers[DLQ_HEADERS.errorClass] = letter.errorClass;
  headers[DLQ_HEADERS.reason] = letter.reason.slice(0, 1000);
  headers[DLQ_HEADERS.service] = SERVICE_NAME;
  headers[DLQ_HEADERS.failedAt] = now.toISOString();
  headers[DLQ_HEADERS.attempts] = String(letter.attempts);
  headers[DLQ_HEADERS.topic] = message.topic;
  headers[DLQ_HEADERS.partition] = String(message.partition);
  headers[DLQ_HEADERS.offset] = message.offset;
  const mqttTopic = headerValue(message.headers, SOURCE_HEADERS.mqttTopic);
  if (mqttTopic) headers[DLQ_HEADERS.mqttTopic] = mqttTopic;
  if (message.key) headers[SINK_DLQ_HEADERS.sourceKey] = message.key;
  return headers;
}

/**
 * A dead letter as a Kafka message. A value over `maxValueBytes` is cut and
 * the headers say so, with the original size and hash: the source record was
 * accepted at the broker's limit, and the letter's headers must still fit.
 */
export function deadLetterMessage(
  letter: DeadLetter,
  maxValueBytes: number,
  now = new Date(),
): Message {
  const headers = deadLetterHeaders(letter, now);
  let value = letter.message.value;
  if (value && value.length > maxValueBytes) {
    headers[SINK_DLQ_HEADERS.truncated] = 'true';
    headers[SINK_DLQ_HEADERS.originalBytes] = String(value.length);
    headers[SINK_DLQ_HEADERS.sha256] = createHash('sha256')
      .update(value)
      .digest('hex');
    value = value.subarray(0, maxValueBytes);
  }
  return { key: deadLetterKey(letter.message), value, headers };
}

/** Bytes a message adds to a produce request, headers included. */
function messageBytes(m: Message): number {
  let n = 64 + (m.value?.length ?? 0) + String(m.key ?? '').length;
  for (const [k, v] of Object.entries(m.headers ?? {}))
    n += k.length + String(v ?? '').length + 8;
  return n;
}

export interface DeadLetterLimits {
  /** Largest value a letter carries; longer values are truncated. */
  maxValueBytes: number;
  /** Largest produce request; more letters are sent in several. */
  maxBatchBytes: number;
}

/** Sends dead letters and waits for all in-sync replicas to have them. */
export class DeadLetterQueue {
  constructor(
    private readonly producer: Producer,
    readonly topic: string,
    private readonly limits: DeadLetterLimits,
  ) {}

  async send(letters: DeadLetter[]): Promise<void> {
    if (!letters.length) return;
    const now = new Date();
    const messages = letters.map(l =>
      deadLetterMessage(l, this.limits.maxValueBytes, now),
    );
    // Kafka refuses a record batch over max.message.bytes as a whole, so
    // large letters go in requests of their own.
    let group: Message[] = [];
    let bytes = 0;
    for (const m of messages) {
      const size = messageBytes(m);
      if (group.length && bytes + size > this.limits.maxBatchBytes) {
        await this.produce(group);
        group = [];
        bytes = 0;
      }
      group.push(m);
      bytes += size;
    }
    await this.produce(group);
  }

  private async produce(messages: Message[]) {
    await this.producer.send({ topic: this.topic, acks: -1, messages });
  }
}
