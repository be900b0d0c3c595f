import { decodeRecord, RecordDecodeError } from '@homelab/pipeline-contracts';
import type { DeadLetter, SourceMessage } from './dlq';
import type { Hypertable } from './hypertable';
import type { ReadingRecord } from './store';

export interface DecodedBatch {
  readings: ReadingRecord[];
  /** Records no retry can fix: they go to the DLQ on their first try. */
  letters: DeadLetter[];
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
      const record = decodeRecord(message.value);
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
