import type { Config } from '@backstage/config';

export interface LiveSettings {
  /** Shared with energy-ws (`auth.jwt_secret`); undefined turns the token route into a clear 503. */
  jwtSecret?: string;
  /** energy-ws endpoint handed to the browser with each token. */
  websocketUrl?: string;
  tokenTtlSeconds: number;
  /** Configured TimescaleDB database to backfill from when the entity's annotation names none. */
  historyDatabase?: string;
}

const MIN_TTL_S = 30;
const MAX_TTL_S = 3600;

/** Reads `streaming.live`; throws at startup, naming the key, when a value cannot work. */
export function readLiveSettings(config: Config): LiveSettings {
  const live = config.getOptionalConfig('streaming.live');
  const tokenTtlSeconds = live?.getOptionalNumber('tokenTtlSeconds') ?? 300;
  if (!(Number.isInteger(tokenTtlSeconds) && tokenTtlSeconds >= MIN_TTL_S && tokenTtlSeconds <= MAX_TTL_S)) {
    throw new Error(`streaming.live.tokenTtlSeconds must be a whole number between ${MIN_TTL_S} and ${MAX_TTL_S}`);
  }
  const websocketUrl = live?.getOptionalString('websocketUrl');
  if (websocketUrl !== undefined && !/^wss?:\/\/[^\s]+$/.test(websocketUrl)) {
    throw new Error(`streaming.live.websocketUrl must be a ws:// or wss:// URL, got "${websocketUrl}"`);
  }
  const jwtSecret = live?.getOptionalString('jwtSecret') || undefined;
  return {
    jwtSecret,
    websocketUrl,
    tokenTtlSeconds,
    historyDatabase: live?.getOptionalString('historyDatabase'),
  };
}
