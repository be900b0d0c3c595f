import type { RawData, WebSocket } from 'ws';
import {
  ErrorCode,
  SubscribedMessage,
  WS_CLOSE,
  formatPosition,
} from '@homelab/plugin-streaming-common';
import type { Logger } from '@homelab/service-kit';
import { deliver } from './delivery';
import type { Metrics } from './metrics';
import { errorFrame, parseClientFrame, pongFrame } from './protocol';
import { resume, ResumeDeps } from './resume';
import { ClientSession } from './session';

export interface ConnectionLimits {
  maxSendQueueBytes: number;
  maxFrameBytes: number;
}

/** setTimeout's ceiling (~24.8 days); longer-lived tokens are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One authenticated client: its frames, its keepalive, its token's lifetime
 * and its session. Errors in a client's frames are answered and survived;
 * only a slow consumer, an expired token or a dead peer end the connection.
 */
export class Connection {
  readonly session: ClientSession;
  private alive = true;
  private open = true;
  private expiryTimer: NodeJS.Timeout | undefined;
  private released = false;
  private readonly onClose: () => void;

  constructor(
    private readonly socket: WebSocket,
    private readonly limits: ConnectionLimits,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly resumeDeps: ResumeDeps,
    expiresAtMs: number | undefined,
    onClose: (connection: Connection) => void,
  ) {
    // A cut-off client leaves the fan-out at once, not when its close
    // handshake ends (which a client that stopped reading never completes).
    this.onClose = () => {
      if (this.released) return;
      this.released = true;
      onClose(this);
    };
    this.session = new ClientSession({
      send: frame => this.send(frame),
      overflow: () =>
        this.cutOff(
          'SLOW_CONSUMER',
          'Client fell too far behind while catching up',
        ),
    });
    socket.on('message', data => this.onFrame(data));
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('error', err =>
      this.logger.debug({ err: err.message }, 'client socket error'),
    );
    socket.on('close', () => {
      this.open = false;
      clearTimeout(this.expiryTimer);
      // Stops a running replay from delivering to a closed socket.
      this.session.generation++;
      this.onClose();
    });
    if (expiresAtMs !== undefined) this.armExpiry(expiresAtMs);
  }

  /** Live and replayed data go through here; false once the client is cut off. */
  send(frame: string | Buffer): boolean {
    if (!this.open) return false;
    const outcome = deliver(this.socket, frame, this.limits.maxSendQueueBytes);
    if (outcome === 'slow') {
      this.metrics.slowConsumers.inc();
      this.cutOff(
        'SLOW_CONSUMER',
        `Client is not reading fast enough (over ${this.limits.maxSendQueueBytes} bytes unsent); reconnect and resume from your last position`,
      );
    }
    return outcome === 'sent';
  }

  /**
   * Sends a final error and closes. Once closing, the socket takes no more
   * data, so a client that stopped reading costs at most its queue bound.
   */
  cutOff(
    code: ErrorCode,
    message: string,
    closeCode: number = WS_CLOSE.policyViolation,
  ): void {
    if (!this.open) return;
    this.open = false;
    clearTimeout(this.expiryTimer);
    this.session.generation++;
    this.onClose();
    if (this.socket.readyState === this.socket.OPEN) {
      this.socket.send(errorFrame(code, message));
      this.socket.close(closeCode, code);
    }
  }

  onceClosed(callback: () => void): void {
    if (this.socket.readyState === this.socket.CLOSED) callback();
    else this.socket.once('close', () => callback());
  }

  terminate(): void {
    this.socket.terminate();
  }

  /** WebSocket-level keepalive: called every ping interval; a peer that missed one pong is dropped. */
  keepalive(): void {
    if (!this.alive) {
      this.logger.debug('terminating a client that missed a pong');
      this.socket.terminate();
      return;
    }
    this.alive = false;
    if (this.socket.readyState === this.socket.OPEN) this.socket.ping();
  }

  private armExpiry(expiresAtMs: number): void {
    const wait = expiresAtMs - Date.now();
    this.expiryTimer = setTimeout(
      () =>
        wait > MAX_TIMER_MS
          ? this.armExpiry(expiresAtMs)
          : this.cutOff(
              'TOKEN_EXPIRED',
              'Token expired; reconnect with a new token and resume from your last position',
            ),
      Math.max(0, Math.min(wait, MAX_TIMER_MS)),
    );
    this.expiryTimer.unref();
  }

  private reply(frame: string): void {
    if (this.open && this.socket.readyState === this.socket.OPEN)
      this.socket.send(frame);
  }

  private onFrame(data: RawData): void {
    // Any frame proves the peer is alive (application-level keepalive).
    this.alive = true;
    let raw: Buffer;
    if (Buffer.isBuffer(data)) raw = data;
    else if (Array.isArray(data)) raw = Buffer.concat(data);
    else raw = Buffer.from(data);
    const parsed = parseClientFrame(raw, this.limits.maxFrameBytes);
    if (!parsed.ok) {
      this.metrics.badFrames.inc({ code: parsed.error.code });
      this.reply(JSON.stringify(parsed.error));
      return;
    }
    if (parsed.kind === 'ping') {
      this.reply(pongFrame());
      return;
    }
    const { subscription } = parsed;
    const generation = this.session.subscribe(subscription);
    const ack: SubscribedMessage = {
      type: 'subscribed',
      streams: subscription.streams,
    };
    if (subscription.devices) ack.devices = subscription.devices;
    if (subscription.resume.length > 0)
      ack.replayFrom = subscription.resume.map(formatPosition);
    this.reply(JSON.stringify(ack));
    if (subscription.resume.length === 0) return;
    resume(
      this.session,
      generation,
      subscription.resume,
      frame => this.reply(frame),
      this.resumeDeps,
    ).catch(err => this.logger.warn({ err }, 'resume failed'));
  }
}
