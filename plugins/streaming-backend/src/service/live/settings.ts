import type { Config } from '@backstage/config';
import { LIVE_TOKEN_MIN_SECRET_BYTES } from '@homelab/plugin-streaming-common';

export interface LiveSettings {
  /** Shared with energy-ws (`auth.jwt_secret`); undefined turns the token route into a clear 503. */
  jwtSecret?: string;
  /** energy-ws endpoint handed to the browser with each token. */
  websocketUrl?: string;
  tokenTtlSeconds: number;
  /** `aud` of every token, for an energy-ws that checks it (`auth.audience`). */
  audience?: string;
  /** `iss` of every token, for an energy-ws that checks it (`auth.issuer`). */
  issuer?: string;
  /** Configured TimescaleDB database to backfill from when the entity's annotation names none. */
  historyDatabase?: string;
}

const MIN_TTL_S = 30;
const MAX_TTL_S = 3600;
const MAX_CLAIM_LENGTH = 256;

function optionalClaim(
  live: Config | undefined,
  key: 'audience' | 'issuer',
): string | undefined {
  const value = live?.getOptionalString(key);
  if (value === undefined || value === '') return undefined;
  if (value.length > MAX_CLAIM_LENGTH || /\s/.test(value)) {
    throw new Error(
      `streaming.live.${key} must be a single value without spaces, at most ${MAX_CLAIM_LENGTH} characters`,
    );
  }
  return value;
}

/** Reads `streaming.live`; throws at startup, naming the key, when a value cannot work. */
export function readLiveSettings(config: Config): LiveSettings {
  const live = config.getOptionalConfig('streaming.live');
  const tokenTtlSeconds = live?.getOptionalNumber('tokenTtlSeconds') ?? 300;
  if (
    !(
      Number.isInteger(tokenTtlSeconds) &&
      tokenTtlSeconds >= MIN_TTL_S &&
      tokenTtlSeconds <= MAX_TTL_S
    )
  ) {
    throw new Error(
      `streaming.live.tokenTtlSeconds must be a whole number between ${MIN_TTL_S} and ${MAX_TTL_S}`,
    );
  }
  const websocketUrl = live?.getOptionalString('websocketUrl');
  if (websocketUrl !== undefined && !/^wss?:\/\/[^\s]+$/.test(websocketUrl)) {
    throw new Error(
      `streaming.live.websocketUrl must be a ws:// or wss:// URL, got "${websocketUrl}"`,
    );
  }
  const jwtSecret = live?.getOptionalString('jwtSecret') || undefined;
  // energy-ws refuses a shorter secret at start-up; failing here too says which side to fix.
  if (
    jwtSecret !== undefined &&
    Buffer.byteLength(jwtSecret) < LIVE_TOKEN_MIN_SECRET_BYTES
  ) {
    throw new Error(
      `streaming.live.jwtSecret must be at least ${LIVE_TOKEN_MIN_SECRET_BYTES} bytes (energy-ws refuses a shorter auth.jwt_secret); generate one with: openssl rand -hex 32`,
    );
  }
  return {
    jwtSecret,
    websocketUrl,
    tokenTtlSeconds,
    audience: optionalClaim(live, 'audience'),
    issuer: optionalClaim(live, 'issuer'),
    historyDatabase: live?.getOptionalString('historyDatabase'),
  };
}
