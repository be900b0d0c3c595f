import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * Where a record counts as delivered in this service: handed to one client's
 * socket while that client's unsent bytes stay under its bound. There is no
 * acknowledgement from browsers; a client that loses its connection resumes
 * from the last `position` it saw, and the missed records come from the
 * buffer or Kafka (see resume.ts), so nothing here waits.
 *
 * The live consumer's Kafka offset commit (liveConsumer.ts, after each batch
 * was offered to every connected client) only makes the group's lag visible;
 * it is not a delivery guarantee, because every client keeps its own position.
 */
export type DeliveryOutcome = 'sent' | 'slow' | 'closed';

/**
 * Records that arrive together (one Kafka fetch holds several) leave in one
 * write per client instead of one syscall per record: each socket is corked
 * on its first send and uncorked once the current burst of work is done.
 * With thousands of clients the syscalls, not the JSON, are the cost.
 */
/** Corked sockets and the bytes sent to each during the current burst. */
const burst = new Map<Socket, number>();
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  for (const socket of burst.keys()) socket.uncork();
  burst.clear();
}

function rawSocket(socket: WebSocket): Socket | undefined {
  // ws keeps the net.Socket in a private field; cork/uncork nest with ws's own.
  return (socket as unknown as { _socket?: Socket })._socket;
}

/**
 * A text frame as it goes on the wire (RFC 6455, server frames are not
 * masked), built once per record and written as-is to every client. This
 * skips ws's per-send framing; it is safe because permessage-deflate is off,
 * so ws's sender never queues and our bytes cannot overtake its own.
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
export function deliver(
  socket: WebSocket,
  frame: string | Buffer,
  maxQueueBytes: number,
): DeliveryOutcome {
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
