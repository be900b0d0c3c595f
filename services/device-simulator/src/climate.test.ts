import { heatpump, temperatureSensor } from './climate';
import { seededRandom } from './random';
import { maxOf, maxStep, minOf } from './testing';

const START = Date.parse('2026-01-03T00:00:00');

function samples<T>(
  sample: (ms: number) => T,
  stepMs: number,
  count: number,
): Array<{ ms: number; value: T }> {
  return Array.from({ length: count }, (_, i) => ({
    ms: START + i * stepMs,
    value: sample(START + i * stepMs),
  }));
}

describe('the heat pump (device_id, epoch-second timestamp, d0/d5/d6)', () => {
  const next = heatpump(seededRandom(3), 'heatpump1');
  const day = samples(ms => next(ms, 30_000), 30_000, 2 * 24 * 120);

  it('sends {device_id, timestamp: <epoch seconds>, d0, d5, d6}', () => {
    const { ms, value } = day[1];
    expect(Object.keys(value)).toEqual([
      'device_id',
      'timestamp',
      'd0',
      'd5',
      'd6',
    ]);
    expect(value.device_id).toBe('heatpump1');
    expect(value.timestamp).toBe(ms / 1000);
    expect(Number.isInteger(value.timestamp)).toBe(true);
  });

  it('keeps the flow above the return and both in a heating range, changing slowly', () => {
    const values = day.map(s => s.value);
    expect(values.filter(v => v.d6 >= v.d5)).toEqual([]);
    expect(minOf(values.map(v => v.d5))).toBeGreaterThan(25);
    expect(maxOf(values.map(v => v.d5))).toBeLessThan(50);
    expect(minOf(values.map(v => v.d0))).toBeGreaterThan(-15);
    expect(maxOf(values.map(v => v.d0))).toBeLessThan(20);
    expect(maxStep(values.map(v => v.d0))).toBeLessThan(1);
    expect(maxStep(values.map(v => v.d5))).toBeLessThan(1.5);
  });

  it('heats harder when it is colder outside (weather compensation)', () => {
    const sorted = [...day].sort((a, b) => a.value.d0 - b.value.d0);
    const tenth = Math.floor(sorted.length / 10);
    const flow = (xs: typeof sorted) =>
      xs.reduce((s, x) => s + x.value.d5, 0) / xs.length;
    expect(flow(sorted.slice(0, tenth))).toBeGreaterThan(
      flow(sorted.slice(-tenth)),
    );
  });

  it('keeps sub-second timestamps distinct when a load test sends faster than 1/s', () => {
    const fast = heatpump(seededRandom(3), 'heatpump1');
    const a = fast(START + 100, 100).timestamp;
    const b = fast(START + 200, 100).timestamp;
    expect(b).toBeGreaterThan(a);
    expect(b).toBeCloseTo((START + 200) / 1000, 3);
  });
});

describe('temperature sensors', () => {
  it('send {timestamp, temperature_c, humidity_pct} drifting slowly between 5-minute samples', () => {
    for (let index = 0; index < 5; index++) {
      const week = samples(
        temperatureSensor(seededRandom(index), index),
        300_000,
        7 * 288,
      );
      expect(Object.keys(week[0].value)).toEqual([
        'timestamp',
        'temperature_c',
        'humidity_pct',
      ]);
      expect(week[0].value.timestamp).toBe(new Date(START).toISOString());
      const temps = week.map(s => s.value.temperature_c);
      const humidity = week.map(s => s.value.humidity_pct);
      expect(maxStep(temps)).toBeLessThan(0.6);
      expect(maxStep(humidity)).toBeLessThan(4);
      expect(minOf(temps)).toBeGreaterThan(-10);
      expect(maxOf(temps)).toBeLessThan(30);
      expect(minOf(humidity)).toBeGreaterThanOrEqual(20);
      expect(maxOf(humidity)).toBeLessThanOrEqual(95);
    }
  });
});
