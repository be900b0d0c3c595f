import {
  CanonicalRecord,
  decodeRecord,
  RecordDecodeError,
  STREAMS,
} from '@homelab/pipeline-contracts';
import { regexes } from 'zod';
import type { DeadLetter, SourceMessage } from './dlq';
import type { Hypertable } from './hypertable';
import type { ReadingRecord } from './store';

export interface DecodedBatch {
  readings: ReadingRecord[];
  /** Records no retry can fix: they go to the DLQ on their first try. */
  letters: DeadLetter[];
}

/** The pattern zod checks `datetime({ offset: true })` against. */
const DATETIME = regexes.datetime({ offset: true });
const STREAM_NAMES: ReadonlySet<string> = new Set(STREAMS);
const RECORD_KEYS = 6;
const SOURCE_KEYS = 4;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * JSON.parse makes plain objects whose prototype has no enumerable keys, so
 * for…in sees only their own keys without Object.keys' array per object.
 */
function countKeys(o: object): number {
  let n = 0;
  // eslint-disable-next-line guard-for-in
  for (const _ in o) n++;
  return n;
}

/**
 * True when `v` is exactly the canonical record's shape (no other keys), so
 * zod would return an equal object: then zod's ~1 µs per record and the
 * copy it makes are skipped. Anything this does not prove goes through
 * `decodeRecord`, which stays the authority and writes the error messages.
 */
export function isCanonicalShape(v: unknown): v is CanonicalRecord {
  if (!isPlainObject(v) || countKeys(v) !== RECORD_KEYS) return false;
  const { stream, device_id, ts, fields, received_at, source } = v;
  if (typeof stream !== 'string' || !STREAM_NAMES.has(stream)) return false;
  if (typeof device_id !== 'string' || device_id.length === 0) return false;
  if (typeof ts !== 'string' || !DATETIME.test(ts)) return false;
  if (typeof received_at !== 'string' || !DATETIME.test(received_at))
    return false;
  if (!isPlainObject(fields) || Object.hasOwn(fields, '__proto__'))
    return false;
  // eslint-disable-next-line guard-for-in
  for (const k in fields) {
    const f = fields[k];
    if (typeof f !== 'number' || !Number.isFinite(f)) return false;
  }
  if (!isPlainObject(source) || countKeys(source) !== SOURCE_KEYS) return false;
  return (
    typeof source.mqtt_topic === 'string' &&
    (source.qos === 0 || source.qos === 1 || source.qos === 2) &&
    typeof source.retained === 'boolean' &&
    typeof source.bridge_id === 'string'
  );
}

function decodeFast(value: Buffer | null): CanonicalRecord {
  if (value !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value.toString());
    } catch {
      parsed = undefined;
    }
    if (isCanonicalShape(parsed)) return parsed;
  }
  return decodeRecord(value);
}

/** Turns Kafka messages of one topic into readings for its table. */
export function decodeMessages(
  messages: SourceMessage[],
  table: Hypertable,
): DecodedBatch {
  const readings: ReadingRecord[] = [];
  const letters: DeadLetter[] = [];
  for (const message of messages) {
    try {
      const record = decodeFast(message.value);
      if (record.device_id.includes('\u0000')) {
        // PostgreSQL text cannot hold NUL, and it would cut the statement short.
        throw new RecordDecodeError(
          'invalid-record',
          'device_id contains a NUL character',
        );
      }
      if (record.stream !== table.stream) {
        throw new RecordDecodeError(
          'invalid-record',
          `record of stream "${record.stream}" on topic ${message.topic}, which carries stream "${table.stream}"`,
        );
      }
      readings.push({ record, message });
    } catch (e) {
      const errorClass =
        e instanceof RecordDecodeError ? e.errorClass : 'invalid-record';
      letters.push({
        message,
        errorClass,
        reason: (e as Error).message,
        attempts: 1,
      });
    }
  }
  return { readings, letters };
}
