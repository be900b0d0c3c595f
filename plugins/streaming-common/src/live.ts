import type { LiveStreamRef, StreamName } from '@homelab/pipeline-contracts';

/**
 * What the streaming backend's live token route returns: everything the
 * browser needs to open energy-ws, and nothing more (never the secret).
 */
export interface LiveTokenResponse {
  /** HS256 JWT for energy-ws, `sub` = the signed-in user's entity ref. */
  token: string;
  /** When the token stops working; clients fetch a new one before. */
  expiresAt: string;
  /** The same as a duration, so a client with a skewed clock still refreshes in time. */
  expiresInSeconds: number;
  /** energy-ws endpoint, e.g. `wss://energy.example/ws/energy` (no token in it). */
  websocketUrl: string;
  /** The entity's `streaming.homelab.dev/live-streams` annotation, parsed. */
  streams: LiveStreamRef[];
}

/** One stored reading, as the sink wrote it. */
export interface LiveHistoryPoint {
  ts: string;
  deviceId: string;
  fields: Record<string, number>;
}

/** The recent raw readings of one stream, to backfill the live chart. */
export interface LiveHistoryResponse {
  stream: StreamName;
  minutes: number;
  /** `<database>/<table>` the points were read from. */
  source: string;
  /** Oldest first. Capped; `truncated` says the oldest were left out. */
  points: LiveHistoryPoint[];
  truncated: boolean;
}

/** Chart windows the Live tab offers, in minutes. */
export const LIVE_WINDOWS_MINUTES = [5, 15, 60] as const;
export type LiveWindowMinutes = (typeof LIVE_WINDOWS_MINUTES)[number];

const UNIT_RULES: Array<[RegExp, string]> = [
  [/(_|^)kwh$|energy/, 'kWh'],
  [/(_|^)kw$/, 'kW'],
  [/(_|^)w$|power/, 'W'],
  [/(_|^)v$|voltage/, 'V'],
  [/(_|^)a$|current/, 'A'],
  [/(_|^)hz$|frequency/, 'Hz'],
  [/(_|^)c$|temp/, '°C'],
  [/humidity|(_|^)pct$|percent/, '%'],
];

/**
 * The unit of a field, guessed from its name the way the devices name fields
 * (`power_kw`, `total_energy_kwh`, `voltage_l1`, `active_power_total`);
 * undefined when the name says nothing (e.g. the heat pump's `d0`).
 */
export function fieldUnit(field: string): string | undefined {
  const name = field.toLowerCase();
  return UNIT_RULES.find(([pattern]) => pattern.test(name))?.[1];
}
