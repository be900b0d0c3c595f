/**
 * Stamps for readings that carry no timestamp of their own.
 *
 * The sink keys rows on `(device_id, ts)`, so two readings of one device with
 * the same stamp would collapse into one row. A millisecond receive time is
 * not enough: a burst, or Mosquitto redelivering a backlog after a restart,
 * puts many readings of one device into one millisecond. So each device gets
 * a strictly increasing stamp in microseconds (TimescaleDB's `timestamptz`
 * resolution): the receive time, or one microsecond after the device's last
 * stamp when that is later.
 *
 * Across a bridge restart nothing is remembered, and nothing needs to be: a
 * restart takes far longer than the few microseconds per reading a burst can
 * run ahead of the clock, so the new process starts above every old stamp.
 * A crash can still make a reading appear twice (it was written, then
 * redelivered and stamped anew: at-least-once), never vanish.
 */
export class DeviceClock {
  private readonly lastUs = new Map<string, number>();

  constructor(private readonly maxDevices = 100_000) {}

  /** The stamp for a timestamp-less reading of `deviceId` received at `nowMs`. */
  stamp(deviceId: string, nowMs: number): string {
    const nowUs = Math.floor(nowMs) * 1000;
    const last = this.lastUs.get(deviceId);
    const us = last !== undefined && last >= nowUs ? last + 1 : nowUs;
    if (last === undefined && this.lastUs.size >= this.maxDevices)
      this.forgetPast(nowUs);
    this.lastUs.set(deviceId, us);
    return isoMicros(us);
  }

  /** Only devices whose last stamp the clock has passed can be forgotten safely. */
  private forgetPast(nowUs: number): void {
    for (const [device, us] of this.lastUs)
      if (us < nowUs) this.lastUs.delete(device);
  }
}

/** ISO-8601 with six fractional digits: `2026-01-03T16:00:00.041007Z`. */
export function isoMicros(epochUs: number): string {
  const ms = Math.floor(epochUs / 1000);
  const micros = epochUs - ms * 1000;
  return `${new Date(ms).toISOString().slice(0, -1)}${String(micros).padStart(
    3,
    '0',
  )}Z`;
}
