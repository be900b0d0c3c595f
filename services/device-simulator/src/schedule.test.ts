import { Device, HOMELAB_FLEET, buildFleet, expectedRates } from './fleet';
import { Schedule } from './schedule';

const T0 = Date.parse('2026-01-03T16:00:00Z');

function fleet(rateMultiplier: number) {
  return buildFleet(HOMELAB_FLEET, {
    topicPrefix: 'homelab',
    rateMultiplier,
    seed: 1,
  });
}

/** Runs the fleet's schedule for `ms` of fake time and returns the sample times per topic. */
function run(devices: Device[], ms: number) {
  const sent = new Map<string, number[]>();
  const schedule = new Schedule(devices, (device, sampleMs) => {
    device.sample(sampleMs);
    sent.set(device.topic, [...(sent.get(device.topic) ?? []), sampleMs]);
  });
  schedule.start();
  jest.advanceTimersByTime(ms);
  schedule.stop();
  return sent;
}

describe('Schedule', () => {
  beforeEach(() => jest.useFakeTimers({ now: T0 }));
  afterEach(() => jest.useRealTimers());

  it("sends the homelab's rates: meters 1/s, the heat pump every 30 s, sensors every 5 min", () => {
    const sent = run(fleet(1), 10 * 60_000);
    const counts = Object.fromEntries(
      [...sent].map(([topic, times]) => [topic, times.length]),
    );
    expect(counts).toEqual({
      'homelab/energy/meter1': 601,
      'homelab/energy/meter2': 601,
      'homelab/heatpump/heatpump1': 21,
      'homelab/temperature/sensor1': 3,
      'homelab/temperature/sensor2': 3,
      'homelab/temperature/sensor3': 3,
      'homelab/temperature/sensor4': 3,
      'homelab/temperature/sensor5': 3,
    });
  });

  it('multiplies every rate by the rate multiplier', () => {
    const sent = run(fleet(10), 10 * 60_000);
    expect(sent.get('homelab/energy/meter1')).toHaveLength(6001);
    expect(sent.get('homelab/heatpump/heatpump1')).toHaveLength(201);
    expect(sent.get('homelab/temperature/sensor5')).toHaveLength(21);
  });

  it('keeps up with rates above the timer resolution (1000 × meters = 1 msg/ms each)', () => {
    const sent = run(fleet(1000), 2000);
    expect(sent.get('homelab/energy/meter2')).toHaveLength(2001);
  });

  it('puts samples on an exact grid, whatever the timer jitter', () => {
    const times = run(fleet(1), 5000).get('homelab/energy/meter1')!;
    expect(times).toEqual([0, 1, 2, 3, 4, 5].map(s => T0 + s * 1000));
  });

  it('skips, rather than bursts, samples missed during a stall', () => {
    const devices = fleet(1).slice(0, 1);
    const emitted: number[] = [];
    let skipped = 0;
    let now = T0;
    const schedule = new Schedule(
      devices,
      (_d, ms) => emitted.push(ms),
      (_d, n) => (skipped += n),
      {
        now: () => now,
        maxCatchUp: 10,
      },
    );
    schedule.start();
    schedule.stop();
    now += 3_600_000;
    schedule.tick();
    expect(skipped).toBe(3590);
    expect(emitted).toHaveLength(11);
    expect(emitted[emitted.length - 1]).toBe(now);
  });
});

describe('expectedRates', () => {
  it('adds up to the homelab\'s documented "~2-3 messages/second"', () => {
    const rates = expectedRates(fleet(1));
    expect(rates.energy).toBe(2);
    expect(rates.heatpump).toBeCloseTo(1 / 30);
    expect(rates.temperature).toBeCloseTo(5 / 300);
    expect(expectedRates(fleet(10)).energy).toBe(20);
  });
});
