import type {
  BridgeDeadLetterClass,
  CanonicalRecord,
} from '@homelab/pipeline-contracts';
import { isUtf8 } from 'node:buffer';
import {
  BoundViolation,
  DeviceBounds,
  checkDepth,
  checkDeviceId,
  checkFields,
} from './deviceBounds';
import { Route, unshare } from './route';
import { parseTimestamp } from './timestamp';

/**
 * Why a message went to the DLQ: the contracts' bridge classes. The class is
 * stable (alerts and runbooks key on it); the reason is the human detail.
 */
export type DeadLetterClass = BridgeDeadLetterClass;

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
  bounds: DeviceBounds;
  /** The stamp of a reading without `ts`/`timestamp` (see deviceClock.ts). */
  stampTimeless: (deviceId: string, nowMs: number) => string;
}

export type Normalised =
  | { ok: true; record: CanonicalRecord }
  | ({ ok: false; deviceId?: string } & Rejection);

const TIMESTAMP_KEYS = ['ts', 'timestamp'] as const;
/** Keys that describe the reading rather than being one. */
const NOT_FIELDS = new Set<string>([...TIMESTAMP_KEYS, 'device_id', 'fields']);

const allowedLevels = new WeakMap<Route, number>();

/** A `#` filter matches any depth; the reading's topic may only go as deep as the device id level. */
function levelsAllowed(route: Route): number {
  let allowed = allowedLevels.get(route);
  if (allowed === undefined) {
    const levels = unshare(route.filter).split('/');
    allowed =
      levels[levels.length - 1] !== '#'
        ? levels.length
        : Math.max(levels.length - 1, route.deviceIdSegment + 1);
    allowedLevels.set(route, allowed);
  }
  return allowed;
}

/**
 * Device ids that passed checkDeviceId, per bounds: the regular expressions
 * ran for every message (see docs/benchmark.md), and a device sends many.
 * Capped, as strangers choose the ids.
 */
const goodDeviceIds = new WeakMap<DeviceBounds, Set<string>>();
const MAX_REMEMBERED_DEVICE_IDS = 10_000;

function deviceIdProblem(
  deviceId: string,
  bounds: DeviceBounds,
): BoundViolation | undefined {
  let good = goodDeviceIds.get(bounds);
  if (!good) goodDeviceIds.set(bounds, (good = new Set()));
  if (good.has(deviceId)) return undefined;
  const problem = checkDeviceId(deviceId, bounds);
  if (!problem) {
    if (good.size >= MAX_REMEMBERED_DEVICE_IDS) good.clear();
    good.add(deviceId);
  }
  return problem;
}

/** `new Date(ms).toISOString()`, remembered for the last millisecond: the messages of a burst share it. */
export function lastMillisIso(): (ms: number) => string {
  let lastMs = NaN;
  let text = '';
  return ms => {
    if (ms !== lastMs) {
      text = new Date(ms).toISOString();
      lastMs = ms;
    }
    return text;
  };
}
const receivedIso = lastMillisIso();

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
 * Turns any of the three payload shapes the homelab's devices send into the
 * canonical record:
 * - flat meter `{timestamp, total_energy_kwh, power_kw, voltage, current}`
 * - three-phase meter `{ts, fields: {active_power_total, …}}`
 * - heat pump `{device_id, timestamp: <epoch s>, d0, d5, d6}`
 *
 * Only finite JSON numbers count as fields: numeric strings, booleans and
 * nested objects other than `fields` are ignored, so `"230"` never becomes a
 * voltage by accident. A payload without `ts`/`timestamp` is stamped with the
 * time the bridge received it, made unique per device (deviceClock.ts).
 * The bounds of deviceBounds.ts are checked before anything is built.
 */
export function normalise(
  route: Route,
  message: MqttMessage,
  options: NormaliseOptions,
): Normalised {
  const topicLevels = message.topic.split('/');
  const levels = topicLevels.length;
  const allowed = levelsAllowed(route);
  if (levels > allowed) {
    // `homelab/energy/meter1/status` is not meter1's energy reading; merging it would mix series.
    return reject(
      'extra-topic-levels',
      `topic has ${levels} levels; route ${route.filter} allows ${allowed} (device id at level ${route.deviceIdSegment})`,
    );
  }
  const topicDevice = topicLevels[route.deviceIdSegment] || undefined;
  const badTopicDevice =
    topicDevice === undefined
      ? undefined
      : deviceIdProblem(topicDevice, options.bounds);
  if (badTopicDevice)
    return reject(badTopicDevice.errorClass, badTopicDevice.reason);
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
  const text = message.payload.toString('utf8');
  const tooDeep = checkDepth(text, options.bounds);
  if (tooDeep) return reject(tooDeep.errorClass, tooDeep.reason, topicDevice);
  let body: unknown;
  try {
    body = JSON.parse(text);
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
  const badDevice =
    deviceId === topicDevice
      ? undefined
      : deviceIdProblem(deviceId, options.bounds);
  if (badDevice) return reject(badDevice.errorClass, badDevice.reason);

  const nested =
    obj.fields && typeof obj.fields === 'object' && !Array.isArray(obj.fields)
      ? (obj.fields as Record<string, unknown>)
      : undefined;
  const overBound = checkFields(nested ? [obj, nested] : [obj], options.bounds);
  if (overBound)
    return reject(overBound.errorClass, overBound.reason, deviceId);
  const fields: Record<string, number> = {};
  numericFields(obj, fields, NOT_FIELDS);
  if (nested) numericFields(nested, fields, new Set());
  if (Object.keys(fields).length === 0) {
    return reject(
      'no-numeric-field',
      'payload has no finite numeric field',
      deviceId,
    );
  }

  const tsKey = TIMESTAMP_KEYS.find(k => obj[k] !== undefined);
  let ts: string;
  if (tsKey) {
    const parsed = parseTimestamp(
      obj[tsKey],
      options.nowMs,
      options.maxFutureMs,
    );
    if (!parsed.ok)
      return reject('bad-timestamp', `${tsKey}: ${parsed.reason}`, deviceId);
    ts = new Date(parsed.ms).toISOString();
  } else {
    ts = options.stampTimeless(deviceId, options.nowMs);
  }

  return {
    ok: true,
    record: {
      stream: route.stream,
      device_id: deviceId,
      ts,
      fields,
      received_at: receivedIso(options.nowMs),
      source: {
        mqtt_topic: message.topic,
        qos: message.qos,
        retained: message.retained,
        bridge_id: options.bridgeId,
      },
    },
  };
}
