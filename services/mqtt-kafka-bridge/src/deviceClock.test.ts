import { DeviceClock, isoMicros } from './deviceClock';

describe('DeviceClock', () => {
  it('gives each reading of a device its own rising stamp within one millisecond', () => {
    const clock = new DeviceClock();
    const ms = Date.parse('2026-01-03T16:00:00.041Z');
    expect([1, 2, 3].map(() => clock.stamp('m1', ms))).toEqual([
      '2026-01-03T16:00:00.041000Z',
      '2026-01-03T16:00:00.041001Z',
      '2026-01-03T16:00:00.041002Z',
    ]);
    // Other devices have their own sequence; a later clock starts afresh.
    expect(clock.stamp('m2', ms)).toBe('2026-01-03T16:00:00.041000Z');
    expect(clock.stamp('m1', ms + 1)).toBe('2026-01-03T16:00:00.042000Z');
  });

  it('never goes back when the clock does', () => {
    const clock = new DeviceClock();
    const first = clock.stamp('m1', 1_000_000);
    expect(clock.stamp('m1', 999_000) > first).toBe(true);
  });

  it('forgets only devices whose stamps the clock has passed', () => {
    const clock = new DeviceClock(2);
    clock.stamp('a', 1000);
    clock.stamp('a', 1000); // a is now 1 µs ahead of 1000 ms
    clock.stamp('b', 1000);
    clock.stamp('c', 1000); // full: nothing is in the past yet, nothing forgotten
    expect(clock.stamp('a', 1000)).toBe(isoMicros(1_000_002));
  });
});
