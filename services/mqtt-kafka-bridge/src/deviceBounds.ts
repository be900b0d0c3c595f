/**
 * What a device may send beyond "valid JSON": the bounds that keep one
 * careless or hostile device from hurting every other (a 3,000-byte device id
 * no database index takes, a payload that is ten thousand columns, a JSON
 * nesting bomb). Each bound has its own dead-letter class.
 */
export interface DeviceBounds {
  maxDeviceIdBytes: number;
  deviceIdPattern: RegExp;
  maxFields: number;
  maxFieldNameBytes: number;
  maxDepth: number;
}

export type BoundViolation = {
  errorClass:
    | 'device-id-too-long'
    | 'bad-device-id'
    | 'too-many-fields'
    | 'field-name-too-long'
    | 'too-deep';
  reason: string;
};

/** Refused whatever the configured pattern allows: they break logs, keys and SQL tools. */
const ALWAYS_REFUSED = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}\s]/u;

/** A printable, bounded excerpt of a string a stranger controls. */
export function excerpt(text: string, max = 64): string {
  const shown = JSON.stringify(text.slice(0, max));
  return text.length > max ? `${shown}… (${text.length} chars)` : shown;
}

/** The violation when `text` is longer than `max` UTF-8 bytes, naming `what` and showing an excerpt. */
function overByteLimit(
  what: string,
  text: string,
  max: number,
  errorClass: BoundViolation['errorClass'],
): BoundViolation | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= max) return undefined;
  return {
    errorClass,
    reason: `${what} is ${bytes} bytes, over the limit of ${max}: ${excerpt(
      text,
    )}`,
  };
}

export function checkDeviceId(
  deviceId: string,
  bounds: DeviceBounds,
): BoundViolation | undefined {
  const tooLong = overByteLimit(
    'device id',
    deviceId,
    bounds.maxDeviceIdBytes,
    'device-id-too-long',
  );
  if (tooLong) return tooLong;
  if (ALWAYS_REFUSED.test(deviceId) || !bounds.deviceIdPattern.test(deviceId))
    return {
      errorClass: 'bad-device-id',
      reason: `device id ${excerpt(deviceId)} has characters outside ${
        bounds.deviceIdPattern.source
      }`,
    };
  return undefined;
}

/**
 * The deepest nesting of objects and arrays, found by scanning the bytes
 * before JSON.parse builds anything. Stops counting at `limit + 1`.
 */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

export function checkDepth(
  text: string,
  bounds: DeviceBounds,
): BoundViolation | undefined {
  const depth = nestingDepth(text, bounds.maxDepth);
  if (depth <= bounds.maxDepth) return undefined;
  return {
    errorClass: 'too-deep',
    reason: `JSON nests deeper than ${bounds.maxDepth} levels`,
  };
}

/** Counts every key of the reading (top level and nested `fields`), numeric or not. */
export function checkFields(
  objects: readonly Record<string, unknown>[],
  bounds: DeviceBounds,
): BoundViolation | undefined {
  let count = 0;
  for (const obj of objects) {
    for (const key of Object.keys(obj)) {
      if (++count > bounds.maxFields)
        return {
          errorClass: 'too-many-fields',
          reason: `payload has more than ${bounds.maxFields} fields`,
        };
      const tooLong = overByteLimit(
        'field name',
        key,
        bounds.maxFieldNameBytes,
        'field-name-too-long',
      );
      if (tooLong) return tooLong;
    }
  }
  return undefined;
}
