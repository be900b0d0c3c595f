import type { RawData, WebSocket } from 'ws';
import {
  ErrorCode,
  errorFrame,
  formatPosition,
  parseClientFrame,
  pongFrame,
  SubscribedMessage,
  Subscription,
  WS_CLOSE,
} from '@homelab/pipeline-contracts';
import type { Logger } from '@homelab/service-kit';
import { backlogBytes, writeFrame } from './socketWriter';
import type { Metrics } from './metrics';
import { InboundRateLimit, RateLimitSettings } from './rateLimit';
import type { RecentRecords } from './recentRecords';
import { KafkaReplay, readFromKafka, ResumeDeps } from './resume';
import type { DeliveryFilter, LiveScope } from './scope';
import { ClientSession, uniquePositions } from './session';

export interface ConnectionLimits {
  maxSendQueueBytes: number;
  maxFrameBytes: number;
  rateLimit: RateLimitSettings;
}

export interface ConnectionOptions {
  limits: ConnectionLimits;
  metrics: Metrics;
  logger: Logger;
  /** The last records per partition, for the common resume after a short drop. */
  recent: RecentRecords;
  resumeDeps: ResumeDeps;
  /** What the token allows. */
  scope: LiveScope;
  expiresAtMs: number | undefined;
}

/** setTimeout's ceiling (~24.8 days); longer-lived tokens are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One authenticated client: its frames, its keepalive, its token's lifetime
 * and scope, and its session. Errors in a client's frames are answered and
 * survived; only a slow consumer, a client that keeps flooding, an expired
 * token or a dead peer end the connection.
 */
export class Connection {
  readonly session: ClientSession;
  private alive = true;
  private open = true;
  private expiryTimer: NodeJS.Timeout | undefined;
  private released = false;
  private readonly onClose: () => void;
  private readonly limits: ConnectionLimits;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly rate: InboundRateLimit;
  /** The client's one Kafka replay: the running or queued one, which a new subscribe or a close aborts. */
  private replayAbort: AbortController | undefined;
  private replayDone: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: WebSocket,
    private readonly options: ConnectionOptions,
    onClose: (connection: Connection) => void,
  ) {
    this.limits = options.limits;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.rate = new InboundRateLimit(options.limits.rateLimit);
    // A cut-off client leaves the fan-out at once, not when its close
    // handshake ends (which a client that stopped reading never completes).
    this.onClose = () => {
      if (this.released) return;
      this.released = true;
      onClose(this);
    };
    this.session = new ClientSession(
      {
        send: frame => this.send(frame),
        overflow: () =>
          this.cutOff(
            'SLOW_CONSUMER',
            'Client fell too far behind while catching up',
          ),
      },
      options.recent,
    );
    socket.on('message', data => this.onFrame(data));
    // WebSocket-level pings (the server runs ws with autoPong off) are
    // frames like any other: rate-limited, and their pongs bounded.
    socket.on('ping', data => {
      this.alive = true;
      if (this.admitFrame() && this.hasRoom()) socket.pong(data);
    });
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
      this.session.close();
      this.replayAbort?.abort();
      this.onClose();
    });
    if (options.expiresAtMs !== undefined) this.armExpiry(options.expiresAtMs);
  }

  /** False, and the client is cut off, once its unsent bytes passed the bound. */
  private hasRoom(): boolean {
    if (!this.open) return false;
    if (backlogBytes(this.socket) <= this.limits.maxSendQueueBytes) return true;
    this.cutOffSlow();
    return false;
  }

  /** Live and replayed data go through here; false once the client is cut off. */
  send(frame: string | Buffer): boolean {
    if (!this.open) return false;
    const outcome = writeFrame(
      this.socket,
      frame,
      this.limits.maxSendQueueBytes,
    );
    if (outcome === 'slow') this.cutOffSlow();
    return outcome === 'sent';
  }

  private cutOffSlow(): void {
    this.metrics.slowConsumers.inc();
    this.cutOff(
      'SLOW_CONSUMER',
      `Client is not reading fast enough (over ${this.limits.maxSendQueueBytes} bytes unsent); reconnect and resume from your last position`,
    );
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
    this.session.close();
    this.replayAbort?.abort();
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

  /** Replies (pong, error, subscribed) share the send-queue bound with data. */
  private reply(frame: string): void {
    this.send(frame);
  }

  /** The rate limit, before any parsing; false when the frame is dropped. */
  private admitFrame(): boolean {
    const decision = this.rate.take();
    if (decision === 'accept') return true;
    const { framesPerSecond, burst } = this.limits.rateLimit;
    if (decision === 'warn') {
      this.metrics.badFrames.inc({ code: 'RATE_LIMITED' });
      this.reply(
        errorFrame(
          'RATE_LIMITED',
          `Too many messages: the limit is ${framesPerSecond} per second (bursts of ${burst}); messages past it are ignored, and a client that keeps going is disconnected`,
        ),
      );
    } else if (decision === 'close') {
      this.metrics.badFrames.inc({ code: 'RATE_LIMITED' });
      this.cutOff(
        'RATE_LIMITED',
        `Kept sending past the limit of ${framesPerSecond} messages per second; disconnected`,
      );
    }
    return false;
  }

  private onFrame(data: RawData): void {
    // Any frame proves the peer is alive (application-level keepalive).
    this.alive = true;
    if (!this.admitFrame()) return;
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
    this.onSubscribe(parsed.subscription);
  }

  private onSubscribe(subscription: Subscription): void {
    const allowed = this.options.scope.filterFor(subscription);
    if (!allowed.ok) {
      // The previous subscription stays as it was.
      this.metrics.badFrames.inc({ code: 'FORBIDDEN' });
      this.reply(errorFrame('FORBIDDEN', allowed.message));
      return;
    }
    this.session.subscribe(allowed.filter);
    this.replayAbort?.abort();
    this.replayAbort = undefined;
    const ack: SubscribedMessage = {
      type: 'subscribed',
      streams: subscription.streams,
    };
    const devices = ackedDevices(subscription, allowed.filter);
    if (devices) ack.devices = devices;
    if (subscription.resume.length > 0)
      ack.replayFrom = uniquePositions(subscription.resume).map(formatPosition);
    this.reply(JSON.stringify(ack));
    if (subscription.resume.length === 0) return;
    const plan = this.session.beginResume(subscription.resume);
    for (const { stream, sent } of plan.fromBuffer) {
      this.metrics.resumes.inc({ source: 'buffer' });
      this.metrics.replayed.inc({ source: 'buffer' }, sent);
      this.metrics.broadcast.inc({ stream }, sent);
    }
    if (plan.fromKafka.length > 0)
      this.queueReplay(
        readFromKafka(
          plan.fromKafka,
          frame => this.reply(frame),
          this.options.resumeDeps,
        ),
      );
  }

  /**
   * At most one Kafka replay per client: a new one waits until the previous
   * (aborted by the new subscribe) has settled and given back its slot, and
   * one aborted before its turn never starts.
   */
  private queueReplay(replay: KafkaReplay): void {
    const controller = new AbortController();
    this.replayAbort = controller;
    this.replayDone = this.replayDone.then(() => {
      if (!controller.signal.aborted)
        return replay
          .run(controller.signal)
          .catch(err => this.logger.warn({ err }, 'resume failed'));
      this.metrics.replays.inc(
        { outcome: 'superseded' },
        replay.streams.length,
      );
      return undefined;
    });
  }
}

/**
 * The devices the `subscribed` ack lists: the client's filter, or, when the
 * token narrows every subscribed stream to devices, those.
 */
function ackedDevices(
  subscription: Subscription,
  filter: DeliveryFilter,
): string[] | undefined {
  if (subscription.devices) return subscription.devices;
  const sets = [...filter.values()];
  if (sets.length === 0 || sets.some(devices => !devices)) return undefined;
  return [...new Set(sets.flatMap(devices => [...devices!]))];
}
