import { databaseDeadLetterClass } from '@homelab/pipeline-contracts';

/**
 * How the sink reacts to a database error. Only an unreachable database is
 * worth waiting for; every other error is bounded.
 * - `transient`: the database is unreachable, restarting, or asks for the
 *   transaction to be tried again (serialization failure, deadlock). The
 *   partition waits and retries without limit; skipping would lose data, and
 *   waiting is what fixes it.
 * - `record`: the data of one record is at fault (a value out of range, a bad
 *   type, a key too large for the index), or a statement ran out of time.
 *   Splitting the batch isolates the record; after `retry.recordAttempts`
 *   tries alone it goes to the DLQ with its SQLSTATE.
 * - `refused`: anything else (a dropped table, a revoked right, an internal
 *   error). Waiting cannot be known to fix it, so it is treated like a record
 *   error: bounded tries, then the DLQ, and the partition moves on.
 */
export type DbErrorClass = 'record' | 'transient' | 'refused';

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

/**
 * SQLSTATEs about one record: not_null and check violations, program limits
 * (54000: index row too large, e.g. a 3,000-letter device id), and
 * query_canceled (57014, a statement timeout: a smaller chunk may pass; a
 * lone record that still times out is not retried forever). Class 22, data
 * exceptions, is matched by prefix.
 */
const RECORD_CODES = new Set(['23502', '23514', '57014']);

const TRANSIENT_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
]);

const TRANSIENT_MESSAGES =
  /connection terminated|connection (is )?closed|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|Query read timeout|Connection ended unexpectedly|terminating connection/i;

export function classifyDbError(err: unknown): DbErrorClass {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^(22|54)/.test(code) || RECORD_CODES.has(code)) return 'record';
  if (
    /^(08|53|57P)/.test(code) ||
    TRANSIENT_CODES.has(code) ||
    TRANSIENT_NODE_CODES.has(code)
  )
    return 'transient';
  if (typeof e?.message === 'string' && TRANSIENT_MESSAGES.test(e.message))
    return 'transient';
  return 'refused';
}

/** The SQLSTATE of a database error, when it has one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)
    ? code
    : undefined;
}

/** The DLQ's `dlq.error.class` for a refused row: the contracts' `db-<SQLSTATE>`. */
export function errorClassName(err: unknown): string {
  return databaseDeadLetterClass(sqlState(err));
}
