import {
  DataMessage,
  ErrorMessage,
  LiveTokenResponse,
  parseServerFrame,
  pingFrame,
  StreamName,
  subscribeFrame,
  WS_SUBPROTOCOL,
  WS_TOKEN_SUBPROTOCOL_PREFIX,
  parsePosition,
} from '@homelab/plugin-streaming-common';
import { Backoff, BackoffOptions } from './backoff';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'error';

export interface LiveConnectionState {
  status: LiveStatus;
  /** Why the connection is not live, in words for the user. */
  reason?: string;
  /** energy-ws's error code, or `TOKEN_ROUTE` / `UNREACHABLE` / `LOST` for failures on our side. */
  code?: string;
  /** Consecutive failed attempts. */
  attempt: number;
  /** When the next attempt starts (ms since the epoch); absent when none is planned. */
  retryAt?: number;
  /** A problem that did not stop the stream, e.g. records already gone from Kafka. */
  warning?: string;
}

export interface LiveConnectionOptions {
  /** Asks the streaming backend for a fresh energy-ws token. */
  fetchToken(): Promise<LiveTokenResponse>;
  streams: StreamName[];
  /** Only these devices (energy-ws's `devices` filter); undefined means all. */
  devices?: string[];
  onData(message: DataMessage): void;
  onState(state: LiveConnectionState): void;
  createSocket?(url: string, protocols: string[]): WebSocket;
  backoff?: BackoffOptions;
  /** Application-level ping; a connection silent for 2.5 intervals is treated as dead. */
  pingIntervalMs?: number;
  /** A socket that is not subscribed within this long is given up. */
  openTimeoutMs?: number;
  /** Failed attempts after which "reconnecting" turns into "error" (retries go on). */
  errorAfterAttempts?: number;
}

interface Link {
  ws: WebSocket;
  url: string;
  subscribed: boolean;
  /** Closed on purpose or already handled: its close event is ignored. */
  done: boolean;
  lastFrameAt: number;
  error?: ErrorMessage;
  openTimer?: ReturnType<typeof setTimeout>;
}

interface HeldToken {
  response: LiveTokenResponse;
  /** Local clock, from `expiresInSeconds`, so a skewed browser clock does not matter. */
  expiresAtMs: number;
  lifetimeMs: number;
}

/** Token answers that retrying cannot fix. */
const FINAL_TOKEN_STATUSES = new Set([400, 401, 403, 404]);

function httpStatus(error: unknown): number | undefined {
  const e = error as { response?: { status?: unknown }; statusCode?: unknown };
  const status = e?.response?.status ?? e?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function errorText(error: unknown): string {
  const e = error as {
    body?: { error?: { message?: unknown } };
    message?: unknown;
  };
  const message = e?.body?.error?.message ?? e?.message;
  return typeof message === 'string' ? message : String(error);
}

/**
 * The Live tab's connection to energy-ws, without React or the DOM beyond
 * `WebSocket`.
 *
 * - It keeps the last position per stream and partition and sends them in
 *   `subscribe.resume` on every reconnect, so energy-ws replays what was
 *   missed; data at or below a known position is dropped, so overlaps never
 *   show twice.
 * - Before the token expires it opens a second socket with a new token,
 *   subscribes with the current positions, and closes the old socket once
 *   the new one is acknowledged ("make before break"): the state stays live
 *   and no record is lost in the switch.
 */
export class LiveConnection {
  private readonly options: LiveConnectionOptions;
  private readonly backoff: Backoff;
  private readonly positions = new Map<string, number>();
  private current?: Link;
  private standby?: Link;
  private token?: HeldToken;
  private stopped = false;
  private attempt = 0;
  private generation = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private refreshTimer?: ReturnType<typeof setTimeout>;
  private pingTimer?: ReturnType<typeof setInterval>;
  private state: LiveConnectionState = { status: 'connecting', attempt: 0 };

  constructor(options: LiveConnectionOptions) {
    this.options = options;
    this.backoff = new Backoff(options.backoff);
  }

  start(): void {
    this.emit({ status: 'connecting', attempt: 0 });
    this.pingTimer = setInterval(
      () => this.keepalive(),
      this.options.pingIntervalMs ?? 20_000,
    );
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.refreshTimer);
    clearInterval(this.pingTimer);
    for (const link of [this.current, this.standby])
      if (link) this.close(link, 1000, 'client closed');
    this.current = this.standby = undefined;
  }

  /** The last position seen per `<stream>:<partition>`, as sent in `resume`. */
  resumePositions(): string[] {
    return [...this.positions].map(([key, offset]) => `${key}:${offset}`);
  }

  /** Retries now, e.g. after the user fixed a permission and pressed "Retry". */
  retryNow(): void {
    if (this.stopped || this.current) return;
    clearTimeout(this.retryTimer);
    void this.connect();
  }

  private emit(state: LiveConnectionState): void {
    const warning =
      state.warning ??
      (state.status === 'live' ? this.state.warning : undefined);
    this.state = warning ? { ...state, warning } : state;
    this.options.onState(this.state);
  }

  private async obtainToken(force: boolean): Promise<HeldToken> {
    const held = this.token;
    // A token with less than a refresh margin left would expire right after connecting.
    if (
      !force &&
      held &&
      held.expiresAtMs - Date.now() > this.refreshMargin(held)
    )
      return held;
    const receivedAt = Date.now();
    const response = await this.options.fetchToken();
    const lifetimeMs = Math.max(1000, response.expiresInSeconds * 1000);
    this.token = { response, expiresAtMs: receivedAt + lifetimeMs, lifetimeMs };
    return this.token;
  }

  /** Refresh at 80% of the lifetime, and at most a minute before expiry. */
  private refreshMargin(token: HeldToken): number {
    return Math.min(60_000, token.lifetimeMs * 0.2);
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    let token: HeldToken;
    try {
      token = await this.obtainToken(false);
    } catch (error) {
      if (this.stopped || generation !== this.generation) return;
      const status = httpStatus(error);
      const reason = `the streaming backend gave no live token${
        status ? ` (HTTP ${status})` : ''
      }: ${errorText(error)}`;
      if (status !== undefined && FINAL_TOKEN_STATUSES.has(status)) {
        this.emit({
          status: 'error',
          code: 'TOKEN_ROUTE',
          reason,
          attempt: ++this.attempt,
        });
      } else {
        this.retry('TOKEN_ROUTE', reason);
      }
      return;
    }
    if (this.stopped || generation !== this.generation) return;
    this.current = this.open(token);
  }

  private open(token: HeldToken): Link {
    const url = token.response.websocketUrl;
    const protocols = [
      WS_SUBPROTOCOL,
      `${WS_TOKEN_SUBPROTOCOL_PREFIX}${token.response.token}`,
    ];
    const ws = this.options.createSocket
      ? this.options.createSocket(url, protocols)
      : new WebSocket(url, protocols);
    const link: Link = {
      ws,
      url,
      subscribed: false,
      done: false,
      lastFrameAt: Date.now(),
    };
    ws.onopen = () => {
      const { streams, devices } = this.options;
      const resume = this.resumePositions().filter(p =>
        streams.includes(p.split(':')[0] as StreamName),
      );
      ws.send(
        subscribeFrame({
          streams,
          ...(devices?.length ? { devices } : {}),
          ...(resume.length ? { resume } : {}),
        }),
      );
    };
    ws.onmessage = event => this.onFrame(link, event.data);
    ws.onclose = event => this.onClose(link, event.code);
    ws.onerror = () => undefined;
    link.openTimer = setTimeout(() => {
      if (!link.subscribed)
        this.lost(
          link,
          'UNREACHABLE',
          `energy-ws at ${url} did not answer within ${
            (this.options.openTimeoutMs ?? 10_000) / 1000
          } s`,
        );
    }, this.options.openTimeoutMs ?? 10_000);
    return link;
  }

  private onFrame(link: Link, raw: unknown): void {
    if (link.done) return;
    link.lastFrameAt = Date.now();
    // Anything but a known server frame is ignored: a newer server may add types.
    const message = parseServerFrame(String(raw));
    if (!message) return;
    switch (message.type) {
      case 'subscribed':
        this.onSubscribed(link);
        return;
      case 'data':
        // A server speaking only the base protocol never acknowledges; its first record does.
        if (!link.subscribed) this.onSubscribed(link);
        if (this.isNew(message)) this.options.onData(message);
        return;
      case 'error':
        this.onServerError(link, message);
        return;
      default:
    }
  }

  private isNew(message: DataMessage): boolean {
    const position = message.position
      ? parsePosition(message.position)
      : undefined;
    if (!position) return true;
    const key = `${position.stream}:${position.partition}`;
    const offset = Number(position.offset);
    const last = this.positions.get(key);
    if (last !== undefined && offset <= last) return false;
    this.positions.set(key, offset);
    return true;
  }

  private onSubscribed(link: Link): void {
    link.subscribed = true;
    clearTimeout(link.openTimer);
    if (link === this.standby) {
      // The new socket replays from our positions; what the old one still
      // sends meanwhile is dropped as already seen, so closing it loses nothing.
      const old = this.current;
      this.current = link;
      this.standby = undefined;
      if (old) this.close(old, 1000, 'token refreshed');
    } else {
      this.attempt = 0;
      this.backoff.reset();
      this.emit({ status: 'live', attempt: 0 });
    }
    this.scheduleRefresh();
  }

  private onServerError(link: Link, message: ErrorMessage): void {
    if (message.code === 'POSITION_EXPIRED') {
      this.emit({
        ...this.state,
        warning: `Some readings are no longer in Kafka and cannot be shown: ${message.message}`,
      });
      return;
    }
    link.error = message;
    if (message.code === 'UNAUTHORIZED' || message.code === 'TOKEN_EXPIRED')
      this.token = undefined;
  }

  private onClose(link: Link, closeCode: number): void {
    if (link.done) return;
    const error = link.error;
    if (error) this.lost(link, error.code, `${error.message} (${error.code})`);
    else if (!link.subscribed)
      this.lost(link, 'UNREACHABLE', `cannot reach energy-ws at ${link.url}`);
    else
      this.lost(
        link,
        'LOST',
        `the connection to energy-ws was lost (close code ${closeCode})`,
      );
  }

  /** A link failed: a standby is just retried later; the current link means reconnecting. */
  private lost(link: Link, code: string, reason: string): void {
    if (link.done || this.stopped) return;
    this.close(link, 4000, code);
    if (link === this.standby) {
      this.standby = undefined;
      this.refreshTimer = setTimeout(() => this.refresh(), 5_000);
      return;
    }
    if (link !== this.current) return;
    this.current = undefined;
    clearTimeout(this.refreshTimer);
    switch (code) {
      case 'TOKEN_EXPIRED':
      case 'SHUTTING_DOWN':
        // Expected and immediately fixable: a new token, or another replica.
        this.retry(code, reason, code === 'TOKEN_EXPIRED' ? 0 : undefined);
        return;
      case 'UNAUTHORIZED':
        this.retry(
          code,
          `energy-ws refused the token: ${reason}`,
          undefined,
          'error',
        );
        return;
      default:
        this.retry(code, reason);
    }
  }

  private retry(
    code: string,
    reason: string,
    delayMs?: number,
    status?: LiveStatus,
  ): void {
    this.attempt++;
    const delay = delayMs ?? this.backoff.next();
    const persistent = this.attempt >= (this.options.errorAfterAttempts ?? 5);
    this.emit({
      status: status ?? (persistent ? 'error' : 'reconnecting'),
      code,
      reason,
      attempt: this.attempt,
      retryAt: Date.now() + delay,
    });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const token = this.token;
    if (!token) return;
    const wait = token.expiresAtMs - this.refreshMargin(token) - Date.now();
    this.refreshTimer = setTimeout(
      () => void this.refresh(),
      Math.max(0, wait),
    );
  }

  private async refresh(): Promise<void> {
    if (this.stopped || !this.current?.subscribed || this.standby) return;
    let token: HeldToken;
    try {
      token = await this.obtainToken(true);
    } catch {
      // Keep the current socket; energy-ws closes it at expiry and the reconnect path takes over.
      this.refreshTimer = setTimeout(() => void this.refresh(), 5_000);
      return;
    }
    if (this.stopped || !this.current) return;
    this.standby = this.open(token);
  }

  private keepalive(): void {
    const link = this.current;
    if (!link?.subscribed || link.done) return;
    const interval = this.options.pingIntervalMs ?? 20_000;
    if (Date.now() - link.lastFrameAt > interval * 2.5) {
      this.lost(
        link,
        'LOST',
        `energy-ws stopped answering (nothing for ${Math.round(
          (interval * 2.5) / 1000,
        )} s)`,
      );
      return;
    }
    if (link.ws.readyState === 1) link.ws.send(pingFrame());
  }

  private close(link: Link, code: number, reason: string): void {
    link.done = true;
    clearTimeout(link.openTimer);
    try {
      // Browsers only allow 1000 and 3000-4999 from scripts.
      link.ws.close(code, reason.slice(0, 100));
    } catch {
      link.ws.close();
    }
  }
}
