import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/**
 * The one place energy-ws reaches past ws's public API. `ws` is pinned to an
 * exact version in package.json; `assertWsInternals()` runs at start and in
 * a test, so an upgrade that changed what is relied on here stops the
 * service with what to do, before any client connects.
 *
 * What is relied on, and why:
 * - `_socket` is the net.Socket under a WebSocket (set by `setSocket`).
 *   - The fan-out corks it and writes one pre-framed record to every client
 *     (socketWriter.ts): with thousands of clients, framing each send and one
 *     syscall per record are the cost, not the JSON.
 *   - A refused client's socket is released without waiting for its close
 *     reply (admission.ts), so a client that never answers costs nothing.
 * - ws frames a text message synchronously onto that socket, unmasked, as
 *   `wireTextFrame` does. That holds while permessage-deflate is off (the
 *   server turns it off): ws's sender then never queues, so bytes written
 *   to the socket directly cannot overtake or be overtaken by ws's own.
 * - `bufferedAmount` counts bytes waiting in that socket, so the send-queue
 *   bound sees the directly written bytes too.
 */

interface WebSocketInternals {
  _socket?: Socket | null;
  setSocket?: (
    socket: NodeJS.ReadWriteStream,
    head: Buffer,
    options: { maxPayload: number },
  ) => void;
}

/** The net.Socket under a WebSocket; undefined before it is set up or after it is gone. */
export function rawSocket(socket: WebSocket): Socket | undefined {
  return (socket as unknown as WebSocketInternals)._socket ?? undefined;
}

/** The bytes ws writes for one unmasked text message of < 126 bytes. */
function expectedTextFrame(payload: string): Buffer {
  const body = Buffer.from(payload);
  return Buffer.concat([Buffer.from([0x81, body.length]), body]);
}

function installedVersion(): string {
  try {
    return require('ws/package.json').version;
  } catch {
    return 'unknown';
  }
}

/**
 * Builds a server-side WebSocket over an in-memory stream and checks each
 * assumption above on it. Throws, naming what changed and what to do.
 */
export function assertWsInternals(
  WebSocketClass: new (
    address: null,
    protocols: undefined,
    options: { autoPong: boolean },
  ) => WebSocket = WebSocket,
): void {
  const fail = (what: string) =>
    new Error(
      `ws ${installedVersion()}: ${what}. The installed ws is not the one energy-ws was built for: ` +
        'install the exact ws version pinned in services/energy-ws/package.json, ' +
        'or re-check src/wsInternals.ts against the new version before changing the pin.',
    );
  // As ws's WebSocketServer builds the server side of an upgrade.
  const ws = new WebSocketClass(null, undefined, { autoPong: false });
  const internals = ws as unknown as WebSocketInternals;
  if (typeof internals.setSocket !== 'function')
    throw fail('WebSocket.setSocket is not a function');
  // Takes what ws writes and never yields anything for ws to read.
  const written: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk);
      done();
    },
  });
  try {
    internals.setSocket(stream, Buffer.alloc(0), { maxPayload: 1024 });
    if (rawSocket(ws) !== (stream as unknown as Socket))
      throw fail('WebSocket._socket is not the socket it was set up with');
    ws.send('probe');
    if (!Buffer.concat(written).equals(expectedTextFrame('probe')))
      throw fail(
        'WebSocket.send did not write one unmasked text frame synchronously to _socket',
      );
    stream.cork();
    stream.write(Buffer.alloc(7));
    if (ws.bufferedAmount !== 7)
      throw fail(
        'WebSocket.bufferedAmount does not count the bytes waiting in _socket',
      );
  } finally {
    stream.destroy();
  }
}
