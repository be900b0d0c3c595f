/**
 * Kafka errors that a record causes by what it is: sending it again, or
 * waiting, changes nothing. batch.ts isolates the record and dead-letters it.
 * Every other error (broker down, timeouts, leadership moves, authorisation)
 * is treated as "Kafka unreachable": PUBACKs are held and the batch waits.
 */
export const RECORD_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);

/** The Kafka error type (e.g. MESSAGE_TOO_LARGE), looking through kafkajs' retry wrappers. */
export function kafkaErrorType(err: unknown): string | undefined {
  for (let e = err as any, depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string') return e.type;
    e = e.cause ?? e.originalError;
  }
  return undefined;
}

export function isRecordError(err: unknown): boolean {
  const type = kafkaErrorType(err);
  return type !== undefined && RECORD_ERRORS.has(type);
}
