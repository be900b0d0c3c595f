import { parseTimestamp } from './timestamp';

const now = Date.parse('2026-01-03T16:00:10Z');
const day = 86_400_000;
const ms = (v: unknown) => {
  const r = parseTimestamp(v, now, day);
  return r.ok ? new Date(r.ms).toISOString() : `rejected: ${r.reason}`;
};

describe('parseTimestamp', () => {
  it('reads ISO-8601 with and without offset (UTC assumed)', () => {
    expect(ms('2026-01-03T16:00:00Z')).toBe('2026-01-03T16:00:00.000Z');
    expect(ms('2026-01-03T17:00:00+01:00')).toBe('2026-01-03T16:00:00.000Z');
    expect(ms('2026-01-03T16:00:00')).toBe('2026-01-03T16:00:00.000Z');
    expect(ms('2025-12-26T14:46:27.88864083Z')).toBe(
      '2025-12-26T14:46:27.888Z',
    );
  });

  it('reads epoch seconds and milliseconds, as numbers or numeric strings', () => {
    expect(ms(1698765432)).toBe('2023-10-31T15:17:12.000Z');
    expect(ms(1698765432123)).toBe('2023-10-31T15:17:12.123Z');
    expect(ms('1698765432')).toBe('2023-10-31T15:17:12.000Z');
    expect(ms(1698765432.5)).toBe('2023-10-31T15:17:12.500Z');
  });

  it('rejects absurd and unparseable values with a reason', () => {
    expect(ms('3000-01-01T00:00:00Z')).toMatch(/rejected: .*in the future/);
    expect(ms(-5)).toMatch(/before 2000/);
    expect(ms(0)).toMatch(/before 2000/);
    expect(ms('yesterday')).toMatch(/neither ISO-8601 nor epoch/);
    expect(ms('2026-13-45T99:00:00Z')).toMatch(/cannot be parsed/);
    expect(ms(null)).toMatch(/string or number/);
    expect(ms({})).toMatch(/string or number/);
    expect(ms('1'.repeat(400))).toMatch(/rejected/);
  });

  it('accepts a clock up to maxFutureMs ahead', () => {
    expect(ms(new Date(now + day - 1000).toISOString())).not.toMatch(
      /rejected/,
    );
    expect(ms(new Date(now + day + 1000).toISOString())).toMatch(
      /in the future/,
    );
  });
});
