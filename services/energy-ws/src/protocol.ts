import {
  ClientMessage,
  ErrorCode,
  ErrorMessage,
  parsePosition,
  Position,
  STREAMS,
  StreamName,
  isStreamName,
} from '@homelab/plugin-streaming-common';

/** A subscribe as the service uses it: streams, optional device filter, resume positions. */
export interface Subscription {
  streams: StreamName[];
  devices?: string[];
  resume: Position[];
}

export type ParsedFrame =
  | { ok: true; kind: 'ping' }
  | { ok: true; kind: 'subscribe'; subscription: Subscription }
  | { ok: false; error: ErrorMessage };

const MAX_DEVICES = 1000;
const MAX_RESUME = 1000;

function fail(code: ErrorCode, message: string): ParsedFrame {
  return { ok: false, error: { type: 'error', code, message } };
}

function stringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(v => typeof v === 'string');
}

/**
 * Parses one client frame. Every failure is an `error` message for the client
 * and never a reason to drop the connection, so a typo costs one reply.
 */
export function parseClientFrame(
  raw: Buffer | string,
  maxBytes: number,
): ParsedFrame {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > maxBytes)
    return fail(
      'FRAME_TOO_LARGE',
      `Message is ${size} bytes; the limit is ${maxBytes}`,
    );
  let value: unknown;
  try {
    value = JSON.parse(raw.toString());
  } catch {
    return fail('BAD_REQUEST', 'Message is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return fail('BAD_REQUEST', 'Message must be a JSON object with a "type"');
  }
  const message = value as Record<string, unknown>;
  const type = message.type as ClientMessage['type'] | unknown;
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

function parseSubscribe(message: Record<string, unknown>): ParsedFrame {
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
      devices.length > MAX_DEVICES ||
      devices.some(d => !d))
  ) {
    return fail(
      'BAD_REQUEST',
      `"devices" must be an array of at most ${MAX_DEVICES} non-empty device ids`,
    );
  }
  if (
    resume !== undefined &&
    (!stringArray(resume) || resume.length > MAX_RESUME)
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
  return JSON.stringify({ type: 'pong', timestamp: now.toISOString() });
}
