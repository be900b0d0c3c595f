import type { KafkaMessage } from 'kafkajs';
import {
  CanonicalRecord,
  decodeRecord,
  StreamName,
} from '@homelab/pipeline-contracts';

/** One Kafka record as the service keeps it: decoded once, sent to many. */
export interface StreamRecord {
  /** `<stream>:<partition>`, computed once because every client looks it up. */
  key: string;
  stream: StreamName;
  partition: number;
  offset: number;
  deviceId: string;
  ts: string;
  fields: CanonicalRecord['fields'];
  /** Kafka's record timestamp (produce time), for the latency benchmark. */
  producedAtMs: number;
}

export function positionKey(stream: StreamName, partition: number): string {
  return `${stream}:${partition}`;
}

/** Throws RecordDecodeError for anything that is not a canonical record. */
export function fromKafkaMessage(
  stream: StreamName,
  partition: number,
  message: KafkaMessage,
): StreamRecord {
  const record = decodeRecord(message.value);
  return {
    key: positionKey(stream, partition),
    stream,
    partition,
    offset: Number(message.offset),
    deviceId: record.device_id,
    ts: record.ts,
    fields: record.fields,
    producedAtMs: Number(message.timestamp),
  };
}
