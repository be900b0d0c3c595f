import type { IHeaders, Producer } from 'kafkajs';
import {
  DLQ_HEADERS,
  SOURCE_HEADERS,
  headerValue,
} from '@homelab/plugin-streaming-common';

export const SERVICE_NAME = 'timescaledb-sink';

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
  return headers;
}

/** Sends dead letters and waits for all in-sync replicas to have them. */
export class DeadLetterQueue {
  constructor(private readonly producer: Producer, readonly topic: string) {}

  async send(letters: DeadLetter[]): Promise<void> {
    if (!letters.length) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map(l => ({
        key: l.message.key,
        value: l.message.value,
        headers: deadLetterHeaders(l),
      })),
    });
  }
}
