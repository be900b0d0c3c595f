import { fieldsMeter, flatMeter } from './meter';
import { seededRandom } from './random';
import { maxOf, maxStep, meanOf, minOf } from './testing';

const START = Date.parse('2026-01-03T00:00:00');
const DAY = 24 * 3600;

function day<T>(
  sample: (ms: number) => T,
  stepS: number,
  durationS = DAY,
  fromS = 0,
): T[] {
  const out: T[] = [];
  for (let s = fromS; s <= fromS + durationS; s += stepS)
    out.push(sample(START + s * 1000));
  return out;
}

describe('the flat meter (energy-meter-flat)', () => {
  // A day at one sample every 10 s, and the busy evening at the real rate of 1/s.
  const readings = day(flatMeter(seededRandom(7)), 10);
  const perSecond = day(flatMeter(seededRandom(7)), 1, 7200, 17 * 3600);

  it('sends exactly the seed fields with an ISO timestamp of the sample time', () => {
    expect(Object.keys(readings[0]).sort()).toEqual([
      'current',
      'power_kw',
      'timestamp',
      'total_energy_kwh',
      'voltage',
    ]);
    expect(readings[0].timestamp).toBe(new Date(START).toISOString());
    expect(perSecond[60].timestamp).toBe(
      new Date(START + (17 * 3600 + 60) * 1000).toISOString(),
    );
  });

  it('keeps the energy counter monotonic and consistent with the power it reports', () => {
    const counter = readings.map(r => r.total_energy_kwh);
    expect(counter.every((kwh, i) => i === 0 || kwh >= counter[i - 1])).toBe(
      true,
    );
    const usedKwh =
      readings[readings.length - 1].total_energy_kwh -
      readings[0].total_energy_kwh;
    const fromPower = meanOf(readings.map(r => r.power_kw)) * 24;
    expect(usedKwh).toBeGreaterThan(5);
    expect(usedKwh).toBeLessThan(60);
    expect(Math.abs(usedKwh - fromPower) / fromPower).toBeLessThan(0.01);
  });

  it('moves power, voltage and current by small steps between seconds', () => {
    const power = perSecond.map(r => r.power_kw);
    const volts = perSecond.map(r => r.voltage);
    expect(maxStep(power)).toBeLessThan(0.5);
    expect(maxStep(volts)).toBeLessThan(1);
    expect(minOf(volts)).toBeGreaterThan(220);
    expect(maxOf(volts)).toBeLessThan(240);
    expect(minOf(power)).toBeGreaterThan(0);
    expect(
      maxOf(
        perSecond.map(r =>
          Math.abs(r.current - (r.power_kw * 1000) / r.voltage),
        ),
      ),
    ).toBeLessThan(0.02);
  });

  it('follows a daily load curve: the evening draws more than the night', () => {
    const hour = (h: number) =>
      readings.slice(h * 360, (h + 1) * 360).map(r => r.power_kw);
    expect(meanOf(hour(18))).toBeGreaterThan(2 * meanOf(hour(3)));
  });

  it('repeats the same values for the same seed', () => {
    expect(day(flatMeter(seededRandom(7)), 600)).toEqual(
      day(flatMeter(seededRandom(7)), 600),
    );
    expect(day(flatMeter(seededRandom(8)), 600)).not.toEqual(
      day(flatMeter(seededRandom(7)), 600),
    );
  });
});

describe('the three-phase meter with fields (energy-meter-fields)', () => {
  const readings = day(fieldsMeter(seededRandom(11)), 1, 7200, 17 * 3600);

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
    const f = readings.map(r => r.fields);
    expect(
      f.filter(
        x =>
          x.active_power_l1 + x.active_power_l2 + x.active_power_l3 !==
          x.active_power_total,
      ),
    ).toEqual([]);
    expect(
      minOf(
        f.flatMap(x => [
          x.active_power_l1,
          x.active_power_l2,
          x.active_power_l3,
        ]),
      ),
    ).toBeGreaterThanOrEqual(0);
    const volts = f.flatMap(x => [x.voltage_l1, x.voltage_l2, x.voltage_l3]);
    expect(minOf(volts)).toBeGreaterThan(225);
    expect(maxOf(volts)).toBeLessThan(250);
    expect(maxStep(f.map(x => x.active_power_total))).toBeLessThan(500);
  });
});
