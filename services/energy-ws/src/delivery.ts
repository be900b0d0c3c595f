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

export function deliver(socket: WebSocket, frame: string | Buffer, maxQueueBytes: number): DeliveryOutcome {
  if (socket.readyState !== socket.OPEN) return 'closed';
  const raw = rawSocket(socket);
  const inBurst = raw ? burst.get(raw) : undefined;
  // bufferedAmount is what the kernel would not take yet: a client that stops
  // reading makes it grow, so it is the send queue we bound. What this burst
  // corked is not backlog yet, so it does not count.
  if (socket.bufferedAmount - (inBurst ?? 0) > maxQueueBytes) return 'slow';
  if (raw && inBurst === undefined) {
    raw.cork();
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }
  if (raw) burst.set(raw, (inBurst ?? 0) + (typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length));
  // A Buffer encoded once for all clients is framed without another copy.
  socket.send(frame, { binary: false });
  return 'sent';
}
