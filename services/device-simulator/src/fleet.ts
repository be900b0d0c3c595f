import { StreamName } from '@homelab/pipeline-contracts';
import { heatpump, temperatureSensor } from './climate';
import { fieldsMeter, flatMeter } from './meter';
import { Random, seededRandom } from './random';

/** The three MQTT payload shapes the pipeline accepts: flat meter, three-phase meter, heat pump. */
export const DEVICE_KINDS = [
  'energy-meter-flat',
  'energy-meter-fields',
  'heatpump',
  'temperature-sensor',
] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

const STREAM_OF: Record<DeviceKind, StreamName> = {
  'energy-meter-flat': 'energy',
  'energy-meter-fields': 'energy',
  heatpump: 'heatpump',
  'temperature-sensor': 'temperature',
};

export interface DeviceSpec {
  id: string;
  kind: DeviceKind;
  /** Time between messages at rate multiplier 1. */
  intervalMs: number;
}

/** The homelab's documented traffic: 2 meters at 1/s, a heat pump every 30 s, 5 sensors every 5 min. */
export const HOMELAB_FLEET: DeviceSpec[] = [
  { id: 'meter1', kind: 'energy-meter-flat', intervalMs: 1000 },
  { id: 'meter2', kind: 'energy-meter-fields', intervalMs: 1000 },
  { id: 'heatpump1', kind: 'heatpump', intervalMs: 30_000 },
  ...[1, 2, 3, 4, 5].map(n => ({
    id: `sensor${n}`,
    kind: 'temperature-sensor' as const,
    intervalMs: 300_000,
  })),
];

export interface Device {
  id: string;
  kind: DeviceKind;
  stream: StreamName;
  topic: string;
  /** Interval after the rate multiplier. */
  intervalMs: number;
  /** The reading at `ms`; call with increasing times (the state moves on). */
  sample(ms: number): object;
}

/** Each device gets its own random stream, so adding a device does not change the others' values. */
function deviceRandom(seed: number, id: string): Random {
  let h = seed >>> 0;
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return seededRandom(h);
}

export function buildFleet(
  specs: DeviceSpec[],
  options: { topicPrefix: string; rateMultiplier: number; seed: number },
): Device[] {
  let sensorIndex = 0;
  return specs.map(spec => {
    const random = deviceRandom(options.seed, spec.id);
    const intervalMs = spec.intervalMs / options.rateMultiplier;
    let sample: (ms: number) => object;
    switch (spec.kind) {
      case 'energy-meter-flat':
        sample = flatMeter(random);
        break;
      case 'energy-meter-fields':
        sample = fieldsMeter(random);
        break;
      case 'heatpump': {
        const next = heatpump(random, spec.id);
        sample = ms => next(ms, intervalMs);
        break;
      }
      case 'temperature-sensor':
        sample = temperatureSensor(random, sensorIndex++);
        break;
      default:
        throw new Error(`unknown device kind ${String(spec.kind)}`);
    }
    const stream = STREAM_OF[spec.kind];
    return {
      id: spec.id,
      kind: spec.kind,
      stream,
      topic: `${options.topicPrefix}/${stream}/${spec.id}`,
      intervalMs,
      sample,
    };
  });
}

/** Messages per second each stream should carry, for the dashboards to compare against. */
export function expectedRates(
  devices: Device[],
): Partial<Record<StreamName, number>> {
  const rates: Partial<Record<StreamName, number>> = {};
  for (const d of devices)
    rates[d.stream] = (rates[d.stream] ?? 0) + 1000 / d.intervalMs;
  return rates;
}
