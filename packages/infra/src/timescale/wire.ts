/*
 * Just enough of the PostgreSQL wire protocol for the in-process job
 * scheduler to speak through pglite-socket's queue like any client: a Simple
 * Query message out, DataRow and ErrorResponse messages back.
 */

/** A Simple Query ('Q') message. */
export function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message.write('Q', 0, 'ascii');
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

/** The fields of an ErrorResponse, named as `timescaledb_information.job_errors` names them. */
export interface WireError {
  message: string;
  detail?: string;
  hint?: string;
  sqlerrcode?: string;
}

export interface WireResult {
  /** Every DataRow's columns as text (null for SQL NULL). */
  rows: (string | null)[][];
  error?: WireError;
}

const ERROR_FIELDS: Record<string, keyof WireError> = {
  M: 'message',
  D: 'detail',
  H: 'hint',
  C: 'sqlerrcode',
};

/** Reads the backend's reply to one Simple Query. */
export function parseReply(reply: Uint8Array): WireResult {
  const buf = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
  const result: WireResult = { rows: [] };
  let at = 0;
  while (at + 5 <= buf.length) {
    const type = String.fromCharCode(buf[at]);
    const length = buf.readInt32BE(at + 1);
    const body = buf.subarray(at + 5, at + 1 + length);
    at += 1 + length;
    if (type === 'D') {
      const columns: (string | null)[] = [];
      let p = 2;
      for (let i = 0; i < body.readInt16BE(0); i++) {
        const size = body.readInt32BE(p);
        p += 4;
        columns.push(size < 0 ? null : body.toString('utf8', p, p + size));
        p += Math.max(size, 0);
      }
      result.rows.push(columns);
    } else if (type === 'E') {
      const error: WireError = { message: 'unknown error' };
      let p = 0;
      while (p < body.length && body[p] !== 0) {
        const code = String.fromCharCode(body[p]);
        const end = body.indexOf(0, p + 1);
        const key = ERROR_FIELDS[code];
        if (key) error[key] = body.toString('utf8', p + 1, end);
        p = end + 1;
      }
      result.error = error;
    }
  }
  return result;
}
