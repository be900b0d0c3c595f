import { InputError } from '@backstage/errors';
import type { IHeaders } from 'kafkajs';
import {
  DLQ_HEADERS,
  DeadLetter,
  DeadLetterCounts,
  headerValue,
} from '@homelab/plugin-streaming-common';

/** Bytes of payload shown per letter; the rest is counted, not sent. */
export const PREVIEW_BYTES = 512;
/** Header the sink uses to keep the refused record's own key (its device id). */
const SOURCE_KEY_HEADER = 'dlq.source.key';
const HEADER_TEXT_LIMIT = 1000;

/** A Kafka message as read from the DLQ topic. */
export interface RawLetter {
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Payload bytes as display text: valid UTF-8 stays readable, anything else
 * (control characters, invalid sequences) becomes `\xNN` or `\uNNNN`, so a
 * device cannot smuggle terminal or bidi control characters into the page.
 */
export function previewPayload(
  value: Buffer | null,
  max = PREVIEW_BYTES,
): DeadLetter['payload'] {
  if (!value) return { preview: '', bytes: 0, truncated: false };
  const head = value.subarray(0, max);
  let text = utf8(head);
  // The cut may split a character: try without its last bytes before giving up on UTF-8.
  for (
    let drop = 1;
    text === undefined && drop <= 3 && value.length > max;
    drop++
  )
    text = utf8(head.subarray(0, max - drop));
  if (text === undefined) {
    // Not UTF-8: escape byte by byte outside printable ASCII.
    text = [...head]
      .map(b =>
        b >= 0x20 && b < 0x7f
          ? String.fromCharCode(b)
          : `\\x${b.toString(16).padStart(2, '0')}`,
      )
      .join('');
  }
  const escaped = text.replace(
    // Control characters are exactly what this must find.
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return {
    preview: escaped,
    bytes: value.length,
    truncated: value.length > max,
  };
}

const text = (headers: IHeaders | undefined, name: string) => {
  const v = headerValue(
    headers as Record<string, Buffer | string | undefined>,
    name,
  );
  return v === undefined
    ? undefined
    : previewPayload(Buffer.from(v), HEADER_TEXT_LIMIT).preview;
};
const integer = (v: string | undefined) =>
  v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;

/** `homelab/<stream>/<device>` gives the device when nothing else does. */
function deviceFromTopic(mqttTopic: string | undefined): string | undefined {
  const parts = mqttTopic?.split('/') ?? [];
  return parts.length === 3 && parts[0] === 'homelab' && parts[2]
    ? parts[2]
    : undefined;
}

/** Reads the shared DLQ headers (both the bridge and the sink write them). */
export function toDeadLetter(message: RawLetter): DeadLetter {
  const h = message.headers;
  const failedAt = text(h, DLQ_HEADERS.failedAt);
  const time =
    failedAt && Number.isFinite(Date.parse(failedAt))
      ? new Date(failedAt)
      : new Date(Number(message.timestamp));
  const mqttTopic = text(h, DLQ_HEADERS.mqttTopic);
  const source: DeadLetter['source'] = {};
  const sourceTopic = text(h, DLQ_HEADERS.topic);
  if (sourceTopic) source.topic = sourceTopic;
  const sourcePartition = integer(text(h, DLQ_HEADERS.partition));
  if (sourcePartition !== undefined) source.partition = sourcePartition;
  const sourceOffset = text(h, DLQ_HEADERS.offset);
  if (sourceOffset && /^\d+$/.test(sourceOffset)) source.offset = sourceOffset;
  if (mqttTopic) source.mqttTopic = mqttTopic;
  // The bridge keys a letter by its device; the sink keys it by the source position.
  const bridgeKey =
    !source.topic && message.key
      ? previewPayload(message.key, 256).preview
      : undefined;
  const device =
    text(h, SOURCE_KEY_HEADER) ?? deviceFromTopic(mqttTopic) ?? bridgeKey;
  const letter: DeadLetter = {
    partition: message.partition,
    offset: message.offset,
    time: Number.isFinite(time.getTime())
      ? time.toISOString()
      : new Date(0).toISOString(),
    errorClass: text(h, DLQ_HEADERS.errorClass) ?? 'unknown',
    reason: text(h, DLQ_HEADERS.reason) ?? 'no reason header on this letter',
    source,
    payload: previewPayload(message.value),
  };
  const service = text(h, DLQ_HEADERS.service);
  if (service) letter.service = service;
  const attempts = integer(text(h, DLQ_HEADERS.attempts));
  if (attempts !== undefined) letter.attempts = attempts;
  if (device) letter.device = device;
  return letter;
}

/** Counts per class and per hour and class, oldest hour first. */
export function countLetters(
  letters: DeadLetter[],
  capped: boolean,
): DeadLetterCounts {
  const byClass: Record<string, number> = {};
  const hourly = new Map<string, Record<string, number>>();
  for (const l of letters) {
    byClass[l.errorClass] = (byClass[l.errorClass] ?? 0) + 1;
    const bucket = new Date(
      Math.floor(Date.parse(l.time) / 3_600_000) * 3_600_000,
    ).toISOString();
    const counts = hourly.get(bucket) ?? {};
    counts[l.errorClass] = (counts[l.errorClass] ?? 0) + 1;
    hourly.set(bucket, counts);
  }
  return {
    scanned: letters.length,
    capped,
    byClass,
    hourly: [...hourly.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([bucket, counts]) => ({ bucket, counts })),
  };
}

/** Per partition: read offsets before this one. `0:120,1:45`. */
export type Cursor = Map<number, number>;

export function formatCursor(cursor: Cursor): string {
  return [...cursor.entries()]
    .sort(([a], [b]) => a - b)
    .map(([p, o]) => `${p}:${o}`)
    .join(',');
}

export function parseCursor(value: string): Cursor {
  const cursor: Cursor = new Map();
  if (value.length > 10_000)
    throw new InputError('query parameter "before" is too long');
  for (const part of value.split(',')) {
    const match = /^(\d{1,6}):(\d{1,19})$/.exec(part);
    if (!match)
      throw new InputError(
        `query parameter "before" must be <partition>:<offset>[,…] as given in "next", not "${value.slice(
          0,
          100,
        )}"`,
      );
    cursor.set(Number(match[1]), Number(match[2]));
  }
  return cursor;
}

export interface PartitionRange {
  partition: number;
  /** First offset to read. */
  from: number;
  /** Offset after the last one to read. */
  to: number;
}

/**
 * The newest `limit` letters before the cursor over all partitions: each
 * partition contributes up to `limit` candidates, the newest `limit` by time
 * are kept, and the next cursor starts each partition below the oldest
 * letter kept from it (or where it was, if none was kept).
 */
export function pickPage(
  letters: DeadLetter[],
  ranges: PartitionRange[],
  logStart: Map<number, number>,
  limit: number,
): { letters: DeadLetter[]; next?: string } {
  const page = [...letters]
    .sort(
      (a, b) =>
        b.time.localeCompare(a.time) ||
        b.partition - a.partition ||
        Number(BigInt(b.offset) - BigInt(a.offset)),
    )
    .slice(0, limit);
  const next: Cursor = new Map();
  for (const r of ranges) {
    const kept = page
      .filter(l => l.partition === r.partition)
      .map(l => Number(l.offset));
    const before = kept.length ? Math.min(...kept) : r.to;
    if (before > (logStart.get(r.partition) ?? 0))
      next.set(r.partition, before);
  }
  return next.size
    ? { letters: page, next: formatCursor(next) }
    : { letters: page };
}
