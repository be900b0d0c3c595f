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

let prefixMs = NaN;
let prefix = '';

/** ISO-8601 with six fractional digits: `2026-01-03T16:00:00.041007Z`. */
export function isoMicros(epochUs: number): string {
  const ms = Math.floor(epochUs / 1000);
  const micros = epochUs - ms * 1000;
  // The millisecond part is shared by the readings of a burst.
  if (ms !== prefixMs) {
    prefix = new Date(ms).toISOString().slice(0, -1);
    prefixMs = ms;
  }
  let pad = '';
  if (micros < 10) pad = '00';
  else if (micros < 100) pad = '0';
  return `${prefix}${pad}${micros}Z`;
}
