import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { rawSocket } from './wsInternals';

/** A refused socket is released once its answer is flushed, or after this at the latest. */
const REFUSAL_FLUSH_MS = 1_000;

/**
 * Flushes what was written and frees the socket, without waiting for the
 * peer: a client that never answers a close costs nothing after this.
 */
export function release(socket: Duplex, last?: string): void {
  const timer = setTimeout(() => socket.destroy(), REFUSAL_FLUSH_MS);
  timer.unref();
  socket.end(last, () => {
    clearTimeout(timer);
    socket.destroy();
  });
}

/** A plain HTTP answer to an upgrade, before any WebSocket exists. */
export function refuseUpgrade(socket: Duplex, status: string): void {
  release(
    socket,
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
  );
}

/**
 * Sends the protocol's `error` frame and the close frame, then releases the
 * socket without awaiting the client's close reply.
 */
export function refuseWebSocket(
  socket: WebSocket,
  frame: string,
  closeCode: number,
  reason: string,
): void {
  socket.send(frame);
  socket.close(closeCode, reason);
  const raw = rawSocket(socket);
  if (raw) release(raw);
}

/**
 * Caps the TCP sockets on the port that are not authenticated clients:
 * upgrades being checked, refusals being flushed, slow HTTP requests. Past
 * the cap a socket is closed at accept, so a flood cannot exhaust file
 * descriptors. Returns the count of open sockets.
 */
export function capUnauthenticated(
  server: Server,
  cap: number,
  authenticated: () => number,
  onRefused: () => void,
): () => number {
  let open = 0;
  server.on('connection', (socket: Socket) => {
    if (open - authenticated() >= cap) {
      onRefused();
      socket.destroy();
      return;
    }
    open++;
    socket.once('close', () => open--);
  });
  return () => open;
}
