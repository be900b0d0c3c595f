import { decodeRecord } from '@homelab/pipeline-contracts';
import { decodeMessages, isCanonicalShape } from './decodeMessages';
import type { SourceMessage } from './dlq';
import type { Hypertable } from './hypertable';

const table = { stream: 'energy', name: 'energy_readings' } as Hypertable;

const good = {
  stream: 'energy',
  device_id: 'meter-1',
  ts: '2026-03-01T12:00:00.123Z',
  fields: { power_kw: 1.5, voltage: 230 },
  received_at: '2026-03-01T12:00:00.2+01:00',
  source: {
    mqtt_topic: 'homelab/energy/meter-1',
    qos: 1,
    retained: false,
    bridge_id: 'b1',
  },
};

/** Variants of the good record, valid and not, each by one change. */
const variants: [string, unknown][] = [
  ['good', good],
  ['extra top-level key', { ...good, extra: 1 }],
  ['missing source', { ...good, source: undefined }],
  ['unknown stream', { ...good, stream: 'water' }],
  ['empty device', { ...good, device_id: '' }],
  ['numeric device', { ...good, device_id: 7 }],
  ['ts without offset', { ...good, ts: '2026-03-01T12:00:00' }],
  ['ts without seconds', { ...good, ts: '2026-03-01T12:00Z' }],
  ['ts on Feb 30', { ...good, ts: '2026-02-30T12:00:00Z' }],
  ['ts on a leap day', { ...good, ts: '2024-02-29T12:00:00Z' }],
  ['ts with offset', { ...good, ts: '2026-03-01T12:00:00-05:30' }],
  ['ts hour 24', { ...good, ts: '2026-03-01T24:00:00Z' }],
  ['ts date only', { ...good, ts: '2026-03-01' }],
  ['received_at lowercase z', { ...good, received_at: '2026-03-01t12:00:00z' }],
  ['string field', { ...good, fields: { power_kw: '1' } }],
  ['null field', { ...good, fields: { power_kw: null } }],
  ['no fields', { ...good, fields: {} }],
  ['fields array', { ...good, fields: [1] }],
  ['qos 3', { ...good, source: { ...good.source, qos: 3 } }],
  ['qos "1"', { ...good, source: { ...good.source, qos: '1' } }],
  ['retained 0', { ...good, source: { ...good.source, retained: 0 } }],
  ['source extra key', { ...good, source: { ...good.source, x: 1 } }],
  ['source missing key', { ...good, source: { mqtt_topic: 't', qos: 0 } }],
  ['array record', [good]],
  ['null record', null],
  ['number record', 5],
];

function message(value: string | null, offset = 0): SourceMessage {
  return {
    topic: 'homelab.energy',
    partition: 0,
    offset: String(offset),
    key: null,
    value: value === null ? null : Buffer.from(value),
    headers: {},
  };
}

function zodVerdict(value: string | null) {
  try {
    return { ok: true as const, record: decodeRecord(value) };
  } catch (e) {
    return { ok: false as const, reason: (e as Error).message };
  }
}

describe('decodeMessages', () => {
  it.each(variants)(
    'accepts and rejects what zod does, with its reasons: %s',
    (_name, value) => {
      const json = JSON.stringify(value);
      const zod = zodVerdict(json);
      // The fast check may pass only what zod passes, unchanged.
      const fast = isCanonicalShape(JSON.parse(json));
      expect(fast ? zod : 'not proven').toEqual(
        fast ? { ok: true, record: JSON.parse(json) } : 'not proven',
      );
      const { readings, letters } = decodeMessages([message(json)], table);
      expect({
        records: readings.map(r => r.record),
        reasons: letters.map(l => l.reason),
      }).toEqual(
        zod.ok
          ? { records: [zod.record], reasons: [] }
          : { records: [], reasons: [zod.reason] },
      );
    },
  );

  it('proves the producer-shaped record without zod', () => {
    expect(isCanonicalShape(JSON.parse(JSON.stringify(good)))).toBe(true);
  });

  it('dead-letters a field JSON turns into Infinity, a tombstone and non-JSON', () => {
    const huge = JSON.stringify(good).replace(
      '"voltage":230',
      '"voltage":1e999',
    );
    const { readings, letters } = decodeMessages(
      [message(huge, 1), message(null, 2), message('{"stream":', 3)],
      table,
    );
    expect(readings).toEqual([]);
    expect(letters.map(l => [l.message.offset, l.errorClass])).toEqual([
      ['1', 'invalid-record'],
      ['2', 'invalid-record'],
      ['3', 'not-json'],
    ]);
  });

  it('keeps the NUL and wrong-stream checks on the fast path', () => {
    const nul = { ...good, device_id: 'a\u0000b' };
    const other = { ...good, stream: 'heatpump' };
    const { readings, letters } = decodeMessages(
      [message(JSON.stringify(nul)), message(JSON.stringify(other))],
      table,
    );
    expect(readings).toEqual([]);
    expect(letters.map(l => l.reason)).toEqual([
      'device_id contains a NUL character',
      'record of stream "heatpump" on topic homelab.energy, which carries stream "energy"',
    ]);
  });

  it('leaves a __proto__ field to zod', () => {
    const json = JSON.stringify(good).replace(
      '"power_kw"',
      '"__proto__":1,"power_kw"',
    );
    expect(isCanonicalShape(JSON.parse(json))).toBe(false);
    const zod = zodVerdict(json);
    const { readings, letters } = decodeMessages([message(json)], table);
    expect(readings.length + letters.length).toBe(1);
    expect(readings.map(r => r.record)).toEqual(zod.ok ? [zod.record] : []);
  });
});
