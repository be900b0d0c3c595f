import { hourOfDay, outdoorTemperatureC } from './daily';
import { Drift, Interval, Random, round } from './random';

/**
 * The homelab's heat pump: `{device_id, timestamp: <epoch seconds>, d0, d5, d6}`.
 * Its original pipeline names only the codes; the simulator treats d0 as the outdoor
 * temperature, d5 as the flow (supply) temperature and d6 as the return
 * temperature, all in °C, which matches its sample reading (5.2, 35.0, 30.5).
 */
export interface HeatpumpPayload {
  device_id: string;
  timestamp: number;
  d0: number;
  d5: number;
  d6: number;
}

/**
 * A heat pump following a weather-compensation curve: the colder outside,
 * the hotter the flow; the return runs a few kelvin below the flow.
 */
export function heatpump(random: Random, deviceId: string) {
  const weather = new Drift(random, 1.2, 4 * 3600);
  const flow = new Drift(random, 0.8, 900);
  const spread = new Drift(random, 0.4, 600);
  const interval = new Interval();
  return (ms: number, intervalMs: number): HeatpumpPayload => {
    const dtS = interval.seconds(ms);
    const outdoor =
      outdoorTemperatureC(hourOfDay(ms), 5, 3.5) + weather.next(dtS);
    const supply = 27 + 0.55 * (20 - outdoor) + flow.next(dtS);
    const ret = supply - Math.max(1.5, 4.5 + spread.next(dtS));
    return {
      device_id: deviceId,
      // Epoch seconds as the real heat pump sends; below one sample per second whole
      // seconds would collide on the sink's (device_id, ts) key, so keep ms.
      timestamp:
        intervalMs >= 1000 ? Math.floor(ms / 1000) : round(ms / 1000, 3),
      d0: round(outdoor, 1),
      d5: round(supply, 1),
      d6: round(ret, 1),
    };
  };
}

/** A room sensor: `{timestamp, temperature_c, humidity_pct}`. */
export interface TemperaturePayload {
  timestamp: string;
  temperature_c: number;
  humidity_pct: number;
}

/** Where each sensor hangs: rooms are heated and steady, the garage follows the weather. */
const PLACES = [
  { baseC: 21.5, swingC: 0.8, humidity: 45 },
  { baseC: 20.5, swingC: 0.7, humidity: 48 },
  { baseC: 19.0, swingC: 1.0, humidity: 52 },
  { baseC: 22.0, swingC: 0.6, humidity: 42 },
  { baseC: 9.0, swingC: 3.0, humidity: 70 },
];

export function temperatureSensor(random: Random, index: number) {
  const place = PLACES[index % PLACES.length];
  const temp = new Drift(random, 0.5, 3 * 3600);
  const humidity = new Drift(random, 3, 2 * 3600);
  const interval = new Interval();
  return (ms: number): TemperaturePayload => {
    const dtS = interval.seconds(ms);
    // Rooms are warmest in the evening, a few hours after the outdoor peak.
    const daily =
      place.swingC * Math.cos(((hourOfDay(ms) - 19) / 24) * 2 * Math.PI);
    const celsius = place.baseC + daily + temp.next(dtS);
    return {
      timestamp: new Date(ms).toISOString(),
      temperature_c: round(celsius, 2),
      humidity_pct: round(
        Math.min(95, Math.max(20, place.humidity + humidity.next(dtS))),
        1,
      ),
    };
  };
}
