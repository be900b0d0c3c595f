import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import {
  dataFrame,
  errorFrame,
  formatPosition,
  INVALID_TOKEN_MESSAGE,
  LiveTokenResponse,
  parseClientFrame,
  pongFrame,
  StreamName,
  subscribedFrame,
  WS_CLOSE,
  WS_PATH,
  WS_SUBPROTOCOL,
  WS_TOKEN_SUBPROTOCOL_PREFIX,
} from '@homelab/plugin-streaming-common';

/** energy-ws's default `server.max_frame_bytes`: the fake accepts what the real server accepts. */
const MAX_FRAME_BYTES = 64 * 1024;

/**
 * A small energy-ws for tests: it speaks the base protocol (subscribe, ping,
 * data, error) with our extensions (token in `Sec-WebSocket-Protocol`,
 * `subscribed`, positions, `resume`, `devices`, TOKEN_EXPIRED, SHUTTING_DOWN)
 * over a real socket, and keeps every record so a resume can be served from
 * its log.
 *
 * Tokens are `test.<id>.<expiresAtMs>`; `rejectTokens` makes it refuse all.
 */
export class EnergyWsTestServer {
  private wss?: WebSocketServer;
  private readonly log: Array<{
    stream: StreamName;
    partition: number;
    offset: number;
    deviceId: string;
    ts: string;
    fields: Record<string, number>;
  }> = [];
  private readonly sessions = new Set<{
    socket: WebSocket;
    streams?: Set<string>;
    devices?: Set<string>;
    cursor: Map<string, number>;
  }>();
  private tokenCount = 0;
  port = 0;
  rejectTokens = false;
  /** Every subscribe frame received, in order. */
  readonly subscribes: Array<{
    streams: string[];
    devices?: string[];
    resume?: string[];
  }> = [];
  /** Tokens offered on each upgrade, in order. */
  readonly offeredTokens: string[] = [];

  async start(port = 0): Promise<this> {
    const wss = new WebSocketServer({
      port,
      host: '127.0.0.1',
      path: WS_PATH,
      handleProtocols: offered =>
        offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false,
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    this.wss = wss;
    this.port = (wss.address() as AddressInfo).port;
    wss.on('connection', (socket, req) =>
      this.admit(socket, String(req.headers['sec-websocket-protocol'] ?? '')),
    );
    return this;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}${WS_PATH}`;
  }

  /** What the streaming backend's token route would answer. */
  token(lifetimeMs = 60_000): LiveTokenResponse {
    const expiresAt = Date.now() + lifetimeMs;
    return {
      token: `test.${++this.tokenCount}.${expiresAt}`,
      expiresAt: new Date(expiresAt).toISOString(),
      expiresInSeconds: lifetimeMs / 1000,
      websocketUrl: this.url,
      streams: [{ stream: 'energy' }],
    };
  }

  connections(): number {
    return this.sessions.size;
  }

  /** Appends a record to the log (partition by device) and sends it to subscribed clients. */
  publish(
    deviceId: string,
    fields: Record<string, number>,
    ts = new Date(),
    stream: StreamName = 'energy',
  ) {
    const partition = deviceId.length % 3;
    const offset = this.log.filter(
      r => r.stream === stream && r.partition === partition,
    ).length;
    const record = {
      stream,
      partition,
      offset,
      deviceId,
      ts: ts.toISOString(),
      fields,
    };
    this.log.push(record);
    for (const session of this.sessions) this.deliver(session, record);
    return record;
  }

  /** Graceful shutdown as energy-ws does it: tell clients to reconnect, then stop listening. */
  async shutdown(): Promise<void> {
    for (const { socket } of this.sessions) {
      socket.send(
        errorFrame('SHUTTING_DOWN', 'Server is shutting down; reconnect'),
      );
      socket.close(WS_CLOSE.goingAway, 'SHUTTING_DOWN');
    }
    await this.close();
  }

  /** The server is gone: sockets die without a close frame and nothing listens any more. */
  async kill(): Promise<void> {
    for (const { socket } of this.sessions) socket.terminate();
    await this.close();
  }

  async close(): Promise<void> {
    this.sessions.clear();
    const wss = this.wss;
    this.wss = undefined;
    if (!wss) return;
    // The HTTP server only reports closed once every socket is gone.
    for (const socket of wss.clients) socket.terminate();
    await new Promise<void>(resolve => wss.close(() => resolve()));
  }

  private admit(socket: WebSocket, header: string) {
    const offered = header.split(',').map(s => s.trim());
    const token = offered
      .find(p => p.startsWith(WS_TOKEN_SUBPROTOCOL_PREFIX))
      ?.slice(WS_TOKEN_SUBPROTOCOL_PREFIX.length);
    if (token) this.offeredTokens.push(token);
    const expiresAt = Number(token?.split('.')[2]);
    if (
      this.rejectTokens ||
      !token?.startsWith('test.') ||
      !(expiresAt > Date.now())
    ) {
      socket.send(errorFrame('UNAUTHORIZED', INVALID_TOKEN_MESSAGE));
      socket.close(WS_CLOSE.policyViolation, 'UNAUTHORIZED');
      return;
    }
    const session = { socket, cursor: new Map<string, number>() } as {
      socket: WebSocket;
      streams?: Set<string>;
      devices?: Set<string>;
      cursor: Map<string, number>;
    };
    this.sessions.add(session);
    const expiry = setTimeout(() => {
      socket.send(
        errorFrame(
          'TOKEN_EXPIRED',
          'Token expired; reconnect with a new token',
        ),
      );
      socket.close(WS_CLOSE.policyViolation, 'TOKEN_EXPIRED');
    }, expiresAt - Date.now());
    socket.on('close', () => {
      clearTimeout(expiry);
      this.sessions.delete(session);
    });
    socket.on('message', raw => {
      // The same parser energy-ws uses, so a frame the real server refuses is refused here too.
      const parsed = parseClientFrame(raw as Buffer, MAX_FRAME_BYTES);
      if (!parsed.ok) {
        socket.send(JSON.stringify(parsed.error));
        return;
      }
      if (parsed.kind === 'ping') {
        socket.send(pongFrame());
        return;
      }
      const { streams, devices, resume } = parsed.subscription;
      const resumeTexts = resume.map(formatPosition);
      this.subscribes.push({
        streams,
        devices,
        resume: resume.length ? resumeTexts : undefined,
      });
      session.streams = new Set(streams);
      session.devices = devices ? new Set(devices) : undefined;
      session.cursor.clear();
      socket.send(
        subscribedFrame({
          streams,
          ...(devices ? { devices } : {}),
          ...(resume.length ? { replayFrom: resumeTexts } : {}),
        }),
      );
      for (const p of resume)
        session.cursor.set(`${p.stream}:${p.partition}`, Number(p.offset) + 1);
      // Replay what each resumed partition missed, then live continues from the cursor.
      for (const record of this.log)
        if (session.cursor.has(`${record.stream}:${record.partition}`))
          this.deliver(session, record);
    });
  }

  private deliver(
    session: {
      socket: WebSocket;
      streams?: Set<string>;
      devices?: Set<string>;
      cursor: Map<string, number>;
    },
    record: EnergyWsTestServer['log'][number],
  ) {
    if (
      !session.streams?.has(record.stream) ||
      session.socket.readyState !== WebSocket.OPEN
    )
      return;
    const key = `${record.stream}:${record.partition}`;
    const next = session.cursor.get(key);
    if (next !== undefined && record.offset < next) return;
    session.cursor.set(key, record.offset + 1);
    if (session.devices && !session.devices.has(record.deviceId)) return;
    session.socket.send(dataFrame(record));
  }
}
