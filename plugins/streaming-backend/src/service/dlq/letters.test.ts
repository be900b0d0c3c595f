import { DLQ_HEADERS } from '@homelab/plugin-streaming-common';
import {
  countLetters,
  parseCursor,
  pickPage,
  previewPayload,
  toDeadLetter,
} from './letters';

describe('previewPayload', () => {
  it('keeps readable UTF-8 and escapes control and bidi characters', () => {
    expect(previewPayload(Buffer.from('{"a":1} ünïcode <b>'))).toEqual({
      preview: '{"a":1} ünïcode <b>',
      bytes: 21,
      truncated: false,
    });
    expect(previewPayload(Buffer.from('a\u001b[2Jb\u202ec')).preview).toBe(
      'a\\u001b[2Jb\\u202ec',
    );
  });

  it('escapes bytes that are not UTF-8, and cuts at the limit', () => {
    expect(previewPayload(Buffer.from([0x41, 0xff, 0x00, 0x42])).preview).toBe(
      'A\\xff\\x00B',
    );
    const big = previewPayload(Buffer.alloc(2000, 0x41), 512);
    expect(big).toEqual({
      preview: 'A'.repeat(512),
      bytes: 2000,
      truncated: true,
    });
    // A cut inside a two-byte character keeps the text readable.
    expect(previewPayload(Buffer.from('aé'.repeat(10)), 4)).toEqual({
      preview: 'aéa',
      bytes: 30,
      truncated: true,
    });
    expect(previewPayload(null)).toEqual({
      preview: '',
      bytes: 0,
      truncated: false,
    });
  });
});

describe('toDeadLetter', () => {
  it('reads a letter without headers as unknown, with its Kafka time', () => {
    const letter = toDeadLetter({
      partition: 0,
      offset: '5',
      timestamp: '1767456000000',
      key: null,
      value: Buffer.from('x'),
    });
    expect(letter).toMatchObject({
      errorClass: 'unknown',
      reason: 'no reason header on this letter',
      time: '2026-01-03T16:00:00.000Z',
      source: {},
    });
    expect(letter.device).toBeUndefined();
  });

  it('ignores malformed source positions', () => {
    const letter = toDeadLetter({
      partition: 0,
      offset: '1',
      timestamp: '0',
      key: null,
      value: null,
      headers: {
        [DLQ_HEADERS.partition]: 'x',
        [DLQ_HEADERS.offset]: '-3',
        [DLQ_HEADERS.failedAt]: 'not a date',
      },
    });
    expect(letter.source).toEqual({});
    expect(letter.time).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('pagination', () => {
  const letter = (partition: number, offset: number, time: string) => ({
    partition,
    offset: String(offset),
    time,
    errorClass: 'not-json',
    reason: 'r',
    source: {},
    payload: { preview: '', bytes: 0, truncated: false },
  });

  it('keeps the newest across partitions and resumes each partition below what it showed', () => {
    const letters = [
      letter(0, 8, '2026-01-01T00:00:08Z'),
      letter(0, 9, '2026-01-01T00:00:09Z'),
      letter(1, 3, '2026-01-01T00:00:01Z'),
    ];
    const ranges = [
      { partition: 0, from: 8, to: 10 },
      { partition: 1, from: 3, to: 4 },
    ];
    const page = pickPage(
      letters,
      ranges,
      new Map([
        [0, 0],
        [1, 0],
      ]),
      2,
    );
    expect(page.letters.map(l => `${l.partition}:${l.offset}`)).toEqual([
      '0:9',
      '0:8',
    ]);
    expect(page.next).toBe('0:8,1:4');
    expect(parseCursor(page.next!)).toEqual(
      new Map([
        [0, 8],
        [1, 4],
      ]),
    );
  });

  it('ends at the log start', () => {
    const page = pickPage(
      [letter(0, 5, '2026-01-01T00:00:00Z')],
      [{ partition: 0, from: 5, to: 6 }],
      new Map([[0, 5]]),
      10,
    );
    expect(page.next).toBeUndefined();
  });

  it('refuses a cursor that is not partition:offset pairs', () => {
    for (const bad of ['', 'a:1', '0:-1', '0:1;DROP', '1'.repeat(20000)])
      expect(() => parseCursor(bad)).toThrow(/before/);
  });

  it('counts per class and per hour', () => {
    const counts = countLetters(
      [
        letter(0, 1, '2026-01-01T10:05:00Z'),
        { ...letter(0, 2, '2026-01-01T10:55:00Z'), errorClass: 'too-large' },
        letter(0, 3, '2026-01-01T11:01:00Z'),
      ],
      false,
    );
    expect(counts).toEqual({
      scanned: 3,
      capped: false,
      byClass: { 'not-json': 2, 'too-large': 1 },
      hourly: [
        {
          bucket: '2026-01-01T10:00:00.000Z',
          counts: { 'not-json': 1, 'too-large': 1 },
        },
        { bucket: '2026-01-01T11:00:00.000Z', counts: { 'not-json': 1 } },
      ],
    });
  });
});
