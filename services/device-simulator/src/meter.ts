import { householdLoadKw, hourOfDay } from './daily';
import { Drift, Interval, Random, round } from './random';

const HOUR_MS = 3_600_000;

/**
 * The household's power draw: the daily load curve, scaled by slow noise
 * (how busy the house is today) and shifted by fast noise (appliances cycling).
 */
class PowerModel {
  private readonly busy: Drift;
  private readonly flicker: Drift;

  constructor(random: Random, private readonly scale = 1) {
    this.busy = new Drift(random, 0.25, 1800);
    this.flicker = new Drift(random, 0.08, 8);
  }

  kw(ms: number, dtS: number): number {
    const curve = householdLoadKw(hourOfDay(ms)) * this.scale;
    return Math.max(
      0.05,
      curve * Math.exp(this.busy.next(dtS)) + this.flicker.next(dtS),
    );
  }
}

/** The homelab's flat energy meter: `{timestamp, total_energy_kwh, power_kw, voltage, current}`. */
export interface FlatMeterPayload {
  timestamp: string;
  total_energy_kwh: number;
  power_kw: number;
  voltage: number;
  current: number;
}

/**
 * A single-phase meter in the flat meter's shape. The energy counter integrates the
 * power it reports (trapezoid rule), so it only ever grows and agrees with
 * the power curve.
 */
export function flatMeter(random: Random, initialKwh = 12.45) {
  const power = new PowerModel(random);
  const voltage = new Drift(random, 2, 300);
  const interval = new Interval();
  let totalKwh = initialKwh;
  let lastKw: number | undefined;
  return (ms: number): FlatMeterPayload => {
    const dtS = interval.seconds(ms);
    const kw = power.kw(ms, dtS);
    totalKwh += ((kw + (lastKw ?? kw)) / 2) * ((dtS * 1000) / HOUR_MS);
    lastKw = kw;
    const volts = 230 + voltage.next(dtS);
    return {
      timestamp: new Date(ms).toISOString(),
      total_energy_kwh: round(totalKwh, 5),
      power_kw: round(kw, 3),
      voltage: round(volts, 1),
      current: round((kw * 1000) / volts, 2),
    };
  };
}

/** The homelab's three-phase meter: `{ts, fields:{active_power_total, active_power_l1..l3, voltage_l1..l3}}`, watts and volts. */
export interface FieldsMeterPayload {
  ts: string;
  fields: {
    active_power_total: number;
    active_power_l1: number;
    active_power_l2: number;
    active_power_l3: number;
    voltage_l1: number;
    voltage_l2: number;
    voltage_l3: number;
  };
}

/**
 * A three-phase meter in the `{ts, fields}` shape. Most single-phase appliances sit
 * on L1, so the phases share the load unevenly, and the shares drift.
 */
export function fieldsMeter(random: Random) {
  const power = new PowerModel(random, 0.9);
  const shares = [new Drift(random, 0.08, 900), new Drift(random, 0.05, 900)];
  const volts = [0, 1, 2].map(() => new Drift(random, 1.5, 300));
  const interval = new Interval();
  return (ms: number): FieldsMeterPayload => {
    const dtS = interval.seconds(ms);
    const watts = power.kw(ms, dtS) * 1000;
    const l1Share = Math.min(0.85, Math.max(0.3, 0.6 + shares[0].next(dtS)));
    const l2Share = Math.min(
      1 - l1Share - 0.02,
      Math.max(0.02, 0.25 + shares[1].next(dtS)),
    );
    const l1 = Math.round(watts * l1Share);
    const l2 = Math.round(watts * l2Share);
    const l3 = Math.max(0, Math.round(watts) - l1 - l2);
    return {
      ts: new Date(ms).toISOString(),
      fields: {
        active_power_total: l1 + l2 + l3,
        active_power_l1: l1,
        active_power_l2: l2,
        active_power_l3: l3,
        voltage_l1: round(236 + volts[0].next(dtS), 1),
        voltage_l2: round(237 + volts[1].next(dtS), 1),
        voltage_l3: round(238 + volts[2].next(dtS), 1),
      },
    };
  };
}
