/**
 * Device timestamps: ISO-8601 text, epoch seconds or epoch milliseconds, as
 * a number or a numeric string.
 *
 * Seconds vs. milliseconds: a value below 1e11 is seconds (1e11 s is the year
 * 5138), anything else is milliseconds (1e11 ms is 1973, before the earliest
 * accepted instant anyway).
 *
 * Absurd means before 2000-01-01T00:00:00Z or more than `maxFutureMs` after
 * the bridge's clock: a device clock reset to 1970 or a typo'd year would
 * otherwise land in the wrong hypertable chunk, or never age out.
 */
export const EARLIEST_TS_MS = Date.UTC(2000, 0, 1);

const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;
const NUMERIC = /^-?\d+(\.\d+)?$/;

export type TimestampResult =
  | { ok: true; ms: number }
  | { ok: false; reason: string };

function epochToMs(value: number): number {
  return Math.abs(value) < 1e11 ? value * 1000 : value;
}

export function parseTimestamp(
  value: unknown,
  nowMs: number,
  maxFutureMs: number,
): TimestampResult {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      return { ok: false, reason: `timestamp ${value} is not a finite number` };
    ms = epochToMs(value);
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (NUMERIC.test(text)) {
      ms = epochToMs(Number(text));
    } else if (ISO_8601.test(text)) {
      // Date.parse reads ISO without an offset as local time; devices mean UTC.
      const hasOffset =
        /([Zz]|[+-]\d{2}(:?\d{2})?)$/.test(text) &&
        /[Tt ]\d{2}:\d{2}/.test(text);
      ms = Date.parse(
        hasOffset ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`,
      );
    } else {
      return {
        ok: false,
        reason: `timestamp "${text.slice(
          0,
          64,
        )}" is neither ISO-8601 nor epoch`,
      };
    }
    if (!Number.isFinite(ms))
      return {
        ok: false,
        reason: `timestamp "${text.slice(0, 64)}" cannot be parsed`,
      };
  } else {
    return {
      ok: false,
      reason: `timestamp must be a string or number, got ${
        value === null ? 'null' : typeof value
      }`,
    };
  }
  if (!Number.isFinite(ms))
    return { ok: false, reason: `timestamp ${String(value)} cannot be parsed` };
  if (ms < EARLIEST_TS_MS) {
    return {
      ok: false,
      reason: `timestamp ${String(value).slice(0, 64)} is before 2000-01-01`,
    };
  }
  if (ms > nowMs + maxFutureMs) {
    return {
      ok: false,
      reason: `timestamp ${String(value).slice(
        0,
        64,
      )} is more than ${Math.round(maxFutureMs / 1000)} s in the future`,
    };
  }
  return { ok: true, ms };
}
