import { fieldsMeter, flatMeter } from './meter';
import { seededRandom } from './random';

const START = Date.parse('2026-01-03T00:00:00');
const DAY = 24 * 3600;

function day<T>(sample: (ms: number) => T, stepS: number): T[] {
  const out: T[] = [];
  for (let s = 0; s <= DAY; s += stepS) out.push(sample(START + s * 1000));
  return out;
}

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("seed 002's meter (energy-meter-flat)", () => {
  const readings = day(flatMeter(seededRandom(7)), 1);

  it('sends exactly the seed fields with an ISO timestamp of the sample time', () => {
    expect(Object.keys(readings[0]).sort()).toEqual(['current', 'power_kw', 'timestamp', 'total_energy_kwh', 'voltage']);
    expect(readings[0].timestamp).toBe(new Date(START).toISOString());
    expect(readings[60].timestamp).toBe(new Date(START + 60_000).toISOString());
  });

  it('keeps the energy counter monotonic and consistent with the power it reports', () => {
    for (let i = 1; i < readings.length; i++) {
      expect(readings[i].total_energy_kwh).toBeGreaterThanOrEqual(readings[i - 1].total_energy_kwh);
    }
    const usedKwh = readings[readings.length - 1].total_energy_kwh - readings[0].total_energy_kwh;
    const fromPower = meanOf(readings.map(r => r.power_kw)) * 24;
    expect(usedKwh).toBeGreaterThan(5);
    expect(usedKwh).toBeLessThan(60);
    expect(Math.abs(usedKwh - fromPower) / fromPower).toBeLessThan(0.01);
  });

  it('moves power, voltage and current by small steps between seconds', () => {
    for (let i = 1; i < readings.length; i++) {
      expect(Math.abs(readings[i].power_kw - readings[i - 1].power_kw)).toBeLessThan(0.5);
      expect(Math.abs(readings[i].voltage - readings[i - 1].voltage)).toBeLessThan(1);
    }
    for (const r of readings) {
      expect(r.voltage).toBeGreaterThan(220);
      expect(r.voltage).toBeLessThan(240);
      expect(r.power_kw).toBeGreaterThan(0);
      expect(r.current).toBeCloseTo((r.power_kw * 1000) / r.voltage, 1);
    }
  });

  it('follows a daily load curve: the evening draws more than the night', () => {
    const hour = (h: number) => readings.slice(h * 3600, (h + 1) * 3600).map(r => r.power_kw);
    expect(meanOf(hour(18))).toBeGreaterThan(2 * meanOf(hour(3)));
  });

  it('repeats the same values for the same seed', () => {
    expect(day(flatMeter(seededRandom(7)), 600)).toEqual(day(flatMeter(seededRandom(7)), 600));
    expect(day(flatMeter(seededRandom(8)), 600)).not.toEqual(day(flatMeter(seededRandom(7)), 600));
  });
});

describe("seed 003's meter (energy-meter-fields)", () => {
  const readings = day(fieldsMeter(seededRandom(11)), 1);

  it('nests the three-phase readings under fields, as the seed does', () => {
    expect(Object.keys(readings[0])).toEqual(['ts', 'fields']);
    expect(Object.keys(readings[0].fields).sort()).toEqual([
      'active_power_l1',
      'active_power_l2',
      'active_power_l3',
      'active_power_total',
      'voltage_l1',
      'voltage_l2',
      'voltage_l3',
    ]);
  });

  it('sums the phases to the total and keeps the phases plausible and continuous', () => {
    let previous = readings[0].fields;
    for (const { fields: f } of readings) {
      expect(f.active_power_l1 + f.active_power_l2 + f.active_power_l3).toBe(f.active_power_total);
      expect(Math.min(f.active_power_l1, f.active_power_l2, f.active_power_l3)).toBeGreaterThanOrEqual(0);
      for (const v of [f.voltage_l1, f.voltage_l2, f.voltage_l3]) {
        expect(v).toBeGreaterThan(225);
        expect(v).toBeLessThan(250);
      }
      expect(Math.abs(f.active_power_total - previous.active_power_total)).toBeLessThan(500);
      previous = f;
    }
  });
});
