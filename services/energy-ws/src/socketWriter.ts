import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { rawSocket } from './wsInternals';

/**
 * How bytes leave for one client. When a record counts as delivered, and
 * what happens to a client that cannot keep up, is decided in session.ts and
 * connection.ts; this file only writes and reports the client's backlog.
 */
export type WriteOutcome = 'sent' | 'slow' | 'closed';

/**
 * Records that arrive together (one Kafka fetch holds several) leave in one
 * write per client instead of one syscall per record: each socket is corked
 * on its first send (cork/uncork nest with ws's own) and uncorked once the
 * current burst of work is done. With thousands of clients the syscalls, not
 * the JSON, are the cost.
 *
 * Corked sockets and the bytes sent to each during the current burst:
 */
const burst = new Map<Socket, number>();
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  for (const socket of burst.keys()) socket.uncork();
  burst.clear();
}

/**
 * A text frame as it goes on the wire (RFC 6455, server frames are not
 * masked), built once per record and written as-is to every client. This
 * skips ws's per-send framing; wsInternals.ts says why that is safe and
 * checks it at start.
 */
export function wireTextFrame(payload: Buffer): Buffer {
  const length = payload.length;
  let frame: Buffer;
  if (length < 126) {
    frame = Buffer.allocUnsafe(2 + length);
    frame[1] = length;
  } else if (length < 65536) {
    frame = Buffer.allocUnsafe(4 + length);
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame = Buffer.allocUnsafe(10 + length);
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame[0] = 0x81; // FIN + text
  const headerLength = frame.length - length;
  payload.copy(frame, headerLength);
  return frame;
}

/**
 * The client's backlog: bytes the kernel would not take yet. A client that
 * stops reading makes it grow, so it is the send queue we bound. What the
 * current burst corked is not backlog yet, so it does not count.
 */
export function backlogBytes(socket: WebSocket): number {
  const raw = rawSocket(socket);
  return socket.bufferedAmount - ((raw && burst.get(raw)) ?? 0);
}

/**
 * Sends one frame: a string is framed by ws; a Buffer is a wire frame from
 * wireTextFrame, shared by every client of a broadcast.
 */
export function writeFrame(
  socket: WebSocket,
  frame: string | Buffer,
  maxQueueBytes: number,
): WriteOutcome {
  if (socket.readyState !== socket.OPEN) return 'closed';
  if (backlogBytes(socket) > maxQueueBytes) return 'slow';
  const raw = rawSocket(socket);
  const inBurst = raw ? burst.get(raw) : undefined;
  if (!raw) {
    socket.send(frame, { binary: false });
    return 'sent';
  }
  if (inBurst === undefined) {
    raw.cork();
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }
  if (typeof frame === 'string') {
    burst.set(raw, (inBurst ?? 0) + Buffer.byteLength(frame));
    socket.send(frame);
  } else {
    burst.set(raw, (inBurst ?? 0) + frame.length);
    raw.write(frame);
  }
  return 'sent';
}
