/**
 * How the sink reacts to a database error:
 * - `record`: the data of one record is at fault (a value out of range, a bad
 *   type). Splitting the batch isolates it; it goes to the DLQ in the end.
 * - `transient`: the database is unreachable or restarting. Wait and retry;
 *   skipping anything would lose data.
 * - `blocking`: anything else (a dropped table, a revoked right). Retrying
 *   cannot help until an operator acts, but skipping would lose data, so the
 *   partition waits too and the log says why.
 */
export type DbErrorClass = 'record' | 'transient' | 'blocking';

const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
]);

/** SQLSTATEs of records that fail on their own (not_null and check violations too). */
const RECORD_CODES = new Set(['23502', '23514']);

const TRANSIENT_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57014', // query_canceled (statement timeout while the server is slow)
]);

const TRANSIENT_MESSAGES =
  /connection terminated|connection (is )?closed|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|Query read timeout|Connection ended unexpectedly|terminating connection/i;

export function classifyDbError(err: unknown): DbErrorClass {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^22/.test(code) || RECORD_CODES.has(code)) return 'record';
  if (
    /^(08|53|57P)/.test(code) ||
    TRANSIENT_CODES.has(code) ||
    TRANSIENT_NODE_CODES.has(code)
  )
    return 'transient';
  if (typeof e?.message === 'string' && TRANSIENT_MESSAGES.test(e.message))
    return 'transient';
  return 'blocking';
}

/** A short class name for the DLQ's `dlq.error.class` header. */
export function errorClassName(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? `db-${code}` : 'db-error';
}
