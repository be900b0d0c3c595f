/**
 * Shapes of a homelab day. Each takes the hour of the day (0–24, fractional)
 * and is smooth and periodic, so a reading at 23:59:59 joins the one at 00:00.
 */

/** Hour of the day in the process's local time zone, as a fraction. */
export function hourOfDay(ms: number): number {
  const d = new Date(ms);
  return (
    d.getHours() +
    d.getMinutes() / 60 +
    d.getSeconds() / 3600 +
    d.getMilliseconds() / 3_600_000
  );
}

function bump(hour: number, centre: number, width: number): number {
  // Distance around the clock, so a bump near midnight wraps.
  const d = Math.min(Math.abs(hour - centre), 24 - Math.abs(hour - centre));
  return Math.exp(-(d * d) / (2 * width * width));
}

/**
 * Household electrical load in kW: a base load (fridge, router, standby), a
 * morning peak around 07:30 and a larger evening peak around 18:30 (cooking,
 * washing), as in a typical residential load profile.
 */
export function householdLoadKw(hour: number): number {
  return (
    0.35 +
    1.4 * bump(hour, 7.5, 1.2) +
    0.5 * bump(hour, 12.5, 1.5) +
    2.6 * bump(hour, 18.5, 1.8)
  );
}

/** Outdoor temperature in °C: coldest before dawn, warmest mid-afternoon. */
export function outdoorTemperatureC(
  hour: number,
  meanC: number,
  amplitudeC: number,
): number {
  return meanC + amplitudeC * Math.cos(((hour - 15) / 24) * 2 * Math.PI);
}
