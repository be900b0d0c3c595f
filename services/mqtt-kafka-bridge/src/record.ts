import { CanonicalRecord } from '@homelab/plugin-streaming-common';
import { isUtf8 } from 'node:buffer';
import { Route, deviceIdFromTopic } from './route';
import { parseTimestamp } from './timestamp';

/**
 * Why a message went to the DLQ. The class is stable (alerts and runbooks
 * key on it); the reason is the human detail.
 */
export type DeadLetterClass =
  | 'too-large'
  | 'not-json'
  | 'not-an-object'
  | 'no-numeric-field'
  | 'bad-timestamp'
  | 'no-device-id'
  | 'unknown-topic';

export interface Rejection {
  errorClass: DeadLetterClass;
  reason: string;
}

export interface MqttMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retained: boolean;
}

export interface NormaliseOptions {
  bridgeId: string;
  maxPayloadBytes: number;
  maxFutureMs: number;
  nowMs: number;
}

export type Normalised =
  | { ok: true; record: CanonicalRecord }
  | ({ ok: false; deviceId?: string } & Rejection);

const TIMESTAMP_KEYS = ['ts', 'timestamp'] as const;
/** Keys that describe the reading rather than being one. */
const NOT_FIELDS = new Set<string>([...TIMESTAMP_KEYS, 'device_id', 'fields']);

function reject(
  errorClass: DeadLetterClass,
  reason: string,
  deviceId?: string,
): Normalised {
  return { ok: false, errorClass, reason, deviceId };
}

function numericFields(
  source: Record<string, unknown>,
  into: Record<string, number>,
  skip: Set<string>,
) {
  for (const [key, value] of Object.entries(source)) {
    if (skip.has(key)) continue;
    if (typeof value === 'number' && Number.isFinite(value)) into[key] = value;
  }
}

/**
 * Turns any of the three payload shapes of DESIGN.md into the canonical
 * record:
 * - seed 002 meter `{timestamp, total_energy_kwh, power_kw, voltage, current}`
 * - seed 003 meter `{ts, fields: {active_power_total, …}}`
 * - seed 000 heat pump `{device_id, timestamp: <epoch s>, d0, d5, d6}`
 *
 * Only finite JSON numbers count as fields: numeric strings, booleans and
 * nested objects other than `fields` are ignored, so `"230"` never becomes a
 * voltage by accident. A payload without `ts`/`timestamp` is stamped with the
 * time the bridge received it.
 */
export function normalise(
  route: Route,
  message: MqttMessage,
  options: NormaliseOptions,
): Normalised {
  const topicDevice = deviceIdFromTopic(route, message.topic);
  if (message.payload.length > options.maxPayloadBytes) {
    return reject(
      'too-large',
      `payload is ${message.payload.length} bytes, over the limit of ${options.maxPayloadBytes}`,
      topicDevice,
    );
  }
  if (message.payload.length === 0)
    return reject('not-json', 'payload is empty', topicDevice);
  if (!isUtf8(message.payload))
    return reject('not-json', 'payload is not UTF-8 text', topicDevice);
  let body: unknown;
  try {
    body = JSON.parse(message.payload.toString('utf8'));
  } catch (e) {
    return reject(
      'not-json',
      `payload is not JSON: ${(e as Error).message}`,
      topicDevice,
    );
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    let kind = `a ${typeof body}`;
    if (body === null) kind = 'null';
    else if (Array.isArray(body)) kind = 'an array';
    return reject(
      'not-an-object',
      `payload is ${kind}, expected a JSON object`,
      topicDevice,
    );
  }
  const obj = body as Record<string, unknown>;

  const payloadDevice =
    typeof obj.device_id === 'string' && obj.device_id !== ''
      ? obj.device_id
      : undefined;
  const deviceId = topicDevice ?? payloadDevice;
  if (!deviceId) {
    return reject(
      'no-device-id',
      `topic level ${route.deviceIdSegment} of "${message.topic}" is missing and the payload has no device_id`,
    );
  }

  const fields: Record<string, number> = {};
  numericFields(obj, fields, NOT_FIELDS);
  const nested = obj.fields;
  if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
    numericFields(nested as Record<string, unknown>, fields, new Set());
  }
  if (Object.keys(fields).length === 0) {
    return reject(
      'no-numeric-field',
      'payload has no finite numeric field',
      deviceId,
    );
  }

  const tsKey = TIMESTAMP_KEYS.find(k => obj[k] !== undefined);
  let tsMs = options.nowMs;
  if (tsKey) {
    const parsed = parseTimestamp(
      obj[tsKey],
      options.nowMs,
      options.maxFutureMs,
    );
    if (!parsed.ok)
      return reject('bad-timestamp', `${tsKey}: ${parsed.reason}`, deviceId);
    tsMs = parsed.ms;
  }

  return {
    ok: true,
    record: {
      stream: route.stream,
      device_id: deviceId,
      ts: new Date(tsMs).toISOString(),
      fields,
      received_at: new Date(options.nowMs).toISOString(),
      source: {
        mqtt_topic: message.topic,
        qos: message.qos,
        retained: message.retained,
        bridge_id: options.bridgeId,
      },
    },
  };
}
