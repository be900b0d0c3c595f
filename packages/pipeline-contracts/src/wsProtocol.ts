import { isStreamName, STREAMS, StreamName } from './streams';

/**
 * energy-ws's WebSocket protocol. The base protocol is subscribe and ping from
 * the client, data and error from the server; every field beyond it is
 * optional in both directions, so a client that knows only the base keeps
 * working.
 *
 * Path: `/ws/energy?token=<JWT>`; the token may instead be offered as a
 * `Sec-WebSocket-Protocol` value of the form `bearer.<JWT>` (browsers cannot
 * set headers, and URLs end up in logs).
 */
export const WS_PATH = '/ws/energy';
export const WS_TOKEN_SUBPROTOCOL_PREFIX = 'bearer.';
/** The subprotocol the server selects when the token came in the header. */
export const WS_SUBPROTOCOL = 'homelab-energy.v1';

/**
 * A position names one Kafka record: `<stream>:<partition>:<offset>`. A client
 * keeps the last position it saw per stream and partition and sends them back
 * in `subscribe.resume` to get what it missed.
 */
export interface Position {
  stream: StreamName;
  partition: number;
  offset: string;
}

export function formatPosition(p: Position): string {
  return `${p.stream}:${p.partition}:${p.offset}`;
}

export function parsePosition(text: string): Position | undefined {
  const m = /^([a-z]+):(\d{1,6}):(\d{1,19})$/.exec(text);
  if (!m || !isStreamName(m[1])) return undefined;
  return { stream: m[1], partition: Number(m[2]), offset: m[3] };
}

/** What a client sends to subscribe; every field past `streams` is an extension. */
export interface SubscribeMessage {
  type: 'subscribe';
  streams: StreamName[];
  /** Extension: only these device ids, so a client can follow one device. */
  devices?: string[];
  /** Extension: the last position seen per stream and partition. */
  resume?: string[];
}

export interface PingMessage {
  type: 'ping';
}

export type ClientMessage = SubscribeMessage | PingMessage;

export interface DataMessage {
  type: 'data';
  stream: StreamName;
  /** When the server sent it. */
  timestamp: string;
  data: { ts: string; fields: Record<string, number> };
  /** Extension. */
  device_id?: string;
  /** Extension: see Position. */
  position?: string;
}

export interface PongMessage {
  type: 'pong';
  timestamp: string;
}

export const ERROR_CODES = [
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'BAD_REQUEST',
  'UNKNOWN_TYPE',
  'UNKNOWN_STREAM',
  'FRAME_TOO_LARGE',
  'SLOW_CONSUMER',
  'MAX_CONNECTIONS',
  'POSITION_EXPIRED',
  'SHUTTING_DOWN',
  /** A subscribe names a stream or device outside the token's `streams` claim. */
  'FORBIDDEN',
  /** The client sends frames faster than the configured rate. */
  'RATE_LIMITED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorMessage {
  type: 'error';
  message: string;
  code: ErrorCode;
  /** Extension: for POSITION_EXPIRED, the oldest position still available. */
  oldest?: string[];
}

/** Extension: acknowledges a subscribe, listing what the server will send. */
export interface SubscribedMessage {
  type: 'subscribed';
  streams: StreamName[];
  devices?: string[];
  /** Positions from which replay starts; absent for a live-only subscribe. */
  replayFrom?: string[];
}

export type ServerMessage =
  | DataMessage
  | PongMessage
  | ErrorMessage
  | SubscribedMessage;

/** Close codes the server uses, so clients can tell why without parsing text. */
export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  tooLarge: 1009,
  tryAgainLater: 1013,
} as const;

/** A subscribe as the server uses it: streams, optional device filter, resume positions. */
export interface Subscription {
  streams: StreamName[];
  devices?: string[];
  resume: Position[];
}

export type ParsedClientFrame =
  | { ok: true; kind: 'ping' }
  | { ok: true; kind: 'subscribe'; subscription: Subscription }
  | { ok: false; error: ErrorMessage };

/** Bounds on what one subscribe may list: a stranger writes these frames. */
export const MAX_SUBSCRIBE_DEVICES = 1000;
export const MAX_SUBSCRIBE_RESUME = 1000;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

function fail(code: ErrorCode, message: string): ParsedClientFrame {
  return { ok: false, error: { type: 'error', code, message } };
}

function stringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(v => typeof v === 'string');
}

/**
 * Parses one client frame on the server side. Every failure is an `error`
 * message for the client and never a reason to drop the connection, so a
 * typo costs one reply. The size is checked before parsing, so an oversized
 * frame costs nothing but its length.
 */
export function parseClientFrame(
  raw: Uint8Array | string,
  maxBytes: number,
): ParsedClientFrame {
  const size =
    typeof raw === 'string' ? utf8Encoder.encode(raw).length : raw.byteLength;
  if (size > maxBytes)
    return fail(
      'FRAME_TOO_LARGE',
      `Message is ${size} bytes; the limit is ${maxBytes}`,
    );
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : utf8Decoder.decode(raw));
  } catch {
    return fail('BAD_REQUEST', 'Message is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return fail('BAD_REQUEST', 'Message must be a JSON object with a "type"');
  }
  const message = value as Record<string, unknown>;
  const type = message.type;
  if (type === 'ping') return { ok: true, kind: 'ping' };
  if (type !== 'subscribe') {
    return fail(
      'UNKNOWN_TYPE',
      // Echoed at most 64 characters long, so a reply is never larger than its cause.
      `Unknown message type ${(JSON.stringify(type) ?? 'undefined').slice(
        0,
        64,
      )}; expected "subscribe" or "ping"`,
    );
  }
  return parseSubscribe(message);
}

function parseSubscribe(message: Record<string, unknown>): ParsedClientFrame {
  const { streams, devices, resume } = message;
  if (!stringArray(streams) || streams.length === 0) {
    return fail(
      'BAD_REQUEST',
      `"streams" must be a non-empty array of stream names (${STREAMS.join(
        ', ',
      )})`,
    );
  }
  const unknown = streams.filter(s => !isStreamName(s));
  if (unknown.length > 0) {
    return fail(
      'UNKNOWN_STREAM',
      `Unknown stream ${JSON.stringify(
        unknown[0],
      )}; known streams: ${STREAMS.join(', ')}`,
    );
  }
  if (
    devices !== undefined &&
    (!stringArray(devices) ||
      devices.length > MAX_SUBSCRIBE_DEVICES ||
      devices.some(d => !d))
  ) {
    return fail(
      'BAD_REQUEST',
      `"devices" must be an array of at most ${MAX_SUBSCRIBE_DEVICES} non-empty device ids`,
    );
  }
  if (
    resume !== undefined &&
    (!stringArray(resume) || resume.length > MAX_SUBSCRIBE_RESUME)
  ) {
    return fail(
      'BAD_REQUEST',
      `"resume" must be an array of positions "<stream>:<partition>:<offset>"`,
    );
  }
  const positions: Position[] = [];
  for (const text of resume ?? []) {
    const position = parsePosition(text);
    if (!position || !Number.isSafeInteger(Number(position.offset))) {
      return fail(
        'BAD_REQUEST',
        `Bad position ${JSON.stringify(
          text,
        )}; expected "<stream>:<partition>:<offset>"`,
      );
    }
    if (!streams.includes(position.stream)) {
      return fail(
        'BAD_REQUEST',
        `Position ${text} is for stream "${position.stream}", which this subscribe does not name`,
      );
    }
    positions.push(position);
  }
  return {
    ok: true,
    kind: 'subscribe',
    subscription: {
      streams: [...new Set(streams)] as StreamName[],
      devices: devices === undefined ? undefined : [...new Set(devices)],
      resume: positions,
    },
  };
}

/** The server's `error` frame; `oldest` only for POSITION_EXPIRED. */
export function errorFrame(
  code: ErrorCode,
  message: string,
  oldest?: string[],
): string {
  const error: ErrorMessage = oldest
    ? { type: 'error', code, message, oldest }
    : { type: 'error', code, message };
  return JSON.stringify(error);
}

export function pongFrame(now = new Date()): string {
  const pong: PongMessage = { type: 'pong', timestamp: now.toISOString() };
  return JSON.stringify(pong);
}

/** One record as the server sends it: the base `data` frame plus `device_id` and `position`. */
export function dataFrame(
  record: {
    stream: StreamName;
    partition: number;
    offset: number | string;
    deviceId: string;
    ts: string;
    fields: Record<string, number>;
  },
  now = new Date(),
): string {
  const message: DataMessage = {
    type: 'data',
    stream: record.stream,
    timestamp: now.toISOString(),
    data: { ts: record.ts, fields: record.fields },
    device_id: record.deviceId,
    position: formatPosition({
      stream: record.stream,
      partition: record.partition,
      offset: String(record.offset),
    }),
  };
  return JSON.stringify(message);
}

export function subscribedFrame(ack: Omit<SubscribedMessage, 'type'>): string {
  const message: SubscribedMessage = { type: 'subscribed', ...ack };
  return JSON.stringify(message);
}

/** The client's `subscribe` frame. */
export function subscribeFrame(
  subscribe: Omit<SubscribeMessage, 'type'>,
): string {
  const message: SubscribeMessage = { type: 'subscribe', ...subscribe };
  return JSON.stringify(message);
}

export function pingFrame(): string {
  const ping: PingMessage = { type: 'ping' };
  return JSON.stringify(ping);
}

const SERVER_TYPES = new Set<string>(['data', 'pong', 'error', 'subscribed']);

/**
 * Parses one server frame on the client side. Returns undefined for anything
 * that is not a JSON object of a known type, which a client ignores (a newer
 * server may add types).
 */
export function parseServerFrame(raw: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return undefined;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && SERVER_TYPES.has(type)
    ? (value as ServerMessage)
    : undefined;
}
