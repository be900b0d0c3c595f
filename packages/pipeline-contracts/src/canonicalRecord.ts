import { z } from 'zod';
import type { RecordDeadLetterClass } from './headers';
import { STREAMS } from './streams';

/**
 * The canonical record: what the bridge writes to Kafka and what every
 * consumer reads. The Kafka key is `device_id`.
 */
export const canonicalRecordSchema = z.object({
  stream: z.enum(STREAMS),
  device_id: z.string().min(1),
  ts: z.string().datetime({ offset: true }),
  fields: z.record(
    z.string(),
    z.number().refine(Number.isFinite, 'must be finite'),
  ),
  received_at: z.string().datetime({ offset: true }),
  source: z.object({
    mqtt_topic: z.string(),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    retained: z.boolean(),
    bridge_id: z.string(),
  }),
});

export type CanonicalRecord = z.infer<typeof canonicalRecordSchema>;

export class RecordDecodeError extends Error {
  readonly errorClass: RecordDeadLetterClass;
  constructor(errorClass: RecordDeadLetterClass, message: string) {
    super(message);
    this.name = 'RecordDecodeError';
    this.errorClass = errorClass;
  }
}

/**
 * Decodes a Kafka value into a canonical record. Throws RecordDecodeError
 * with a reason that is fit for a DLQ header.
 */
export function decodeRecord(value: Buffer | string | null): CanonicalRecord {
  if (value === null) {
    throw new RecordDecodeError(
      'invalid-record',
      'record has no value (tombstone)',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch (e) {
    throw new RecordDecodeError(
      'not-json',
      `value is not JSON: ${(e as Error).message}`,
    );
  }
  const result = canonicalRecordSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new RecordDecodeError(
      'invalid-record',
      `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  return result.data;
}
