import { z } from 'zod';
import { STREAMS, StreamName } from './streams';

/**
 * Seed 003's WebSocket protocol. Every field beyond the seed's is optional in
 * both directions, so a client written from the seed alone keeps working.
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
  if (!m || !(STREAMS as readonly string[]).includes(m[1])) return undefined;
  return { stream: m[1] as StreamName, partition: Number(m[2]), offset: m[3] };
}

export const subscribeMessageSchema = z.object({
  type: z.literal('subscribe'),
  streams: z.array(z.enum(STREAMS)).min(1),
  /** Extension: only these device ids (seed 002's "message filtering by device"). */
  devices: z.array(z.string().min(1)).optional(),
  /** Extension: the last position seen per stream and partition. */
  resume: z.array(z.string()).optional(),
});

export const pingMessageSchema = z.object({ type: z.literal('ping') });

export type SubscribeMessage = z.infer<typeof subscribeMessageSchema>;
export type PingMessage = z.infer<typeof pingMessageSchema>;
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
