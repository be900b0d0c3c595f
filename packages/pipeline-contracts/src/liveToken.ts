import { errors, JWTPayload, jwtVerify, SignJWT } from 'jose';
import { isStreamName, StreamName } from './streams';

/**
 * The live token: an HS256 JWT over a secret shared by the portal's backend
 * (which mints it for a signed-in user) and energy-ws (which verifies it on
 * every upgrade). Both sides use this file, so the claim names and checks
 * cannot drift apart.
 */

/** One stream, or one device of a stream, that a token may subscribe to. */
export interface LiveStreamRef {
  stream: StreamName;
  device?: string;
}

/**
 * The live-token claim that names what a token may subscribe to: a list of
 * `<stream>` or `<stream>:<device>` entries, the same form as the entity's
 * `streaming.homelab.dev/live-streams` annotation. `["heatpump:hp1"]` allows
 * only device `hp1` of the heat-pump stream; `["energy"]` allows every energy
 * device. energy-ws refuses a subscribe outside it with `FORBIDDEN`.
 */
export const LIVE_TOKEN_STREAMS_CLAIM = 'streams';

/** The only signing algorithm either side accepts. */
export const LIVE_TOKEN_ALGORITHM = 'HS256';

/** Below this, a shared secret is refused by both sides (HS256 wants 256 bits). */
export const LIVE_TOKEN_MIN_SECRET_BYTES = 32;

/**
 * How far `nbf` is backdated, so a verifier whose clock is a few seconds
 * behind the minter's does not refuse a fresh token.
 */
export const LIVE_TOKEN_NBF_SKEW_SECONDS = 30;

/** Scope entries a token may carry; the verifier's byte limit bounds it too. */
export const MAX_LIVE_TOKEN_SCOPE_ENTRIES = 1000;

/** Formats one scope entry of the live-token claim. */
export function formatLiveStreamScope(ref: LiveStreamRef): string {
  return ref.device ? `${ref.stream}:${ref.device}` : ref.stream;
}

/**
 * Reads the live-token `streams` claim. Returns undefined when the claim is
 * absent and an error text when it is malformed.
 */
export function parseStreamsClaim(
  payload: Record<string, unknown>,
): LiveStreamRef[] | undefined | { error: string } {
  if (!(LIVE_TOKEN_STREAMS_CLAIM in payload)) return undefined;
  const claim = payload[LIVE_TOKEN_STREAMS_CLAIM];
  if (
    !Array.isArray(claim) ||
    claim.length > MAX_LIVE_TOKEN_SCOPE_ENTRIES ||
    !claim.every(entry => typeof entry === 'string')
  ) {
    return {
      error: `"${LIVE_TOKEN_STREAMS_CLAIM}" must be an array of at most ${MAX_LIVE_TOKEN_SCOPE_ENTRIES} strings`,
    };
  }
  const refs: LiveStreamRef[] = [];
  for (const entry of claim as string[]) {
    const separator = entry.indexOf(':');
    const stream = separator < 0 ? entry : entry.slice(0, separator);
    const device = separator < 0 ? undefined : entry.slice(separator + 1);
    if (!isStreamName(stream) || device === '')
      return {
        error: `scope entry ${JSON.stringify(
          entry,
        )} is not <stream>[:<device>]`,
      };
    refs.push(device === undefined ? { stream } : { stream, device });
  }
  return refs;
}

export interface MintedLiveToken {
  token: string;
  expiresAt: Date;
}

/**
 * Mints a live token. It names what it allows (the entity's live streams), so
 * a token leaked from one tab cannot watch every device of the homelab.
 */
export async function mintLiveToken(options: {
  secret: string;
  subject: string;
  ttlSeconds: number;
  /** The entity's `streaming.homelab.dev/live-streams`; an empty scope would allow nothing. */
  streams: LiveStreamRef[];
  audience?: string;
  issuer?: string;
  now?: Date;
}): Promise<MintedLiveToken> {
  if (!options.streams.length)
    throw new Error('a live token needs at least one stream in its scope');
  const nowS = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const exp = nowS + options.ttlSeconds;
  const scope = [...new Set(options.streams.map(formatLiveStreamScope))];
  const jwt = new SignJWT({ [LIVE_TOKEN_STREAMS_CLAIM]: scope })
    .setProtectedHeader({ alg: LIVE_TOKEN_ALGORITHM, typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuedAt(nowS)
    .setNotBefore(nowS - LIVE_TOKEN_NBF_SKEW_SECONDS)
    .setExpirationTime(exp);
  if (options.audience) jwt.setAudience(options.audience);
  if (options.issuer) jwt.setIssuer(options.issuer);
  const token = await jwt.sign(new TextEncoder().encode(options.secret));
  return { token, expiresAt: new Date(exp * 1000) };
}

export type LiveTokenResult =
  | {
      ok: true;
      subject?: string;
      expiresAtMs: number;
      /** The token's `streams` claim; absent for a claim-less token in non-strict mode (every stream). */
      scope?: LiveStreamRef[];
    }
  | { ok: false; reason: LiveTokenFailure };

export type LiveTokenFailure =
  | 'missing'
  | 'oversize'
  | 'expired'
  | 'not_yet_valid'
  | 'no_exp'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'no_streams_claim'
  | 'bad_streams_claim'
  | 'invalid';

/** The error text existing energy-ws clients know; the reason only goes to metrics and logs, never to the client. */
export const INVALID_TOKEN_MESSAGE = 'Invalid token';

export interface LiveTokenVerifier {
  verify(token: string | undefined): Promise<LiveTokenResult>;
}

export interface LiveTokenVerifierOptions {
  /** Refuse tokens without the `streams` claim (default true); false keeps the original energy-ws rule: such a token reads every stream. */
  requireStreamsClaim?: boolean;
  /** When set, the token's `aud` must name it. */
  audience?: string;
  /** When set, the token's `iss` must equal it. */
  issuer?: string;
}

const CLAIM_FAILURES: Record<string, LiveTokenFailure> = {
  exp: 'no_exp',
  aud: 'wrong_audience',
  iss: 'wrong_issuer',
  nbf: 'not_yet_valid',
};

/**
 * Verifies live tokens: HS256 with the shared secret only; `exp` is
 * required, `nbf` checked, and `aud` and `iss` when configured.
 */
export function createLiveTokenVerifier(
  secret: string,
  maxTokenBytes: number,
  options: LiveTokenVerifierOptions = {},
): LiveTokenVerifier {
  const key = new TextEncoder().encode(secret);
  const requireStreamsClaim = options.requireStreamsClaim ?? true;
  return {
    async verify(token) {
      if (!token) return { ok: false, reason: 'missing' };
      // Checked before parsing so a huge token costs nothing but its length
      // (a UTF-8 character is at least one byte, so the length is a floor).
      if (
        token.length > maxTokenBytes ||
        new TextEncoder().encode(token).length > maxTokenBytes
      )
        return { ok: false, reason: 'oversize' };
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: [LIVE_TOKEN_ALGORITHM],
          requiredClaims: ['exp'],
          audience: options.audience,
          issuer: options.issuer,
        }));
      } catch (e) {
        if (e instanceof errors.JWTExpired)
          return { ok: false, reason: 'expired' };
        if (e instanceof errors.JWTClaimValidationFailed)
          return { ok: false, reason: CLAIM_FAILURES[e.claim] ?? 'invalid' };
        return { ok: false, reason: 'invalid' };
      }
      const scope = parseStreamsClaim(payload);
      if (scope === undefined && requireStreamsClaim)
        return { ok: false, reason: 'no_streams_claim' };
      if (scope && 'error' in scope)
        return { ok: false, reason: 'bad_streams_claim' };
      const result: LiveTokenResult = {
        ok: true,
        subject: typeof payload.sub === 'string' ? payload.sub : undefined,
        expiresAtMs: payload.exp! * 1000,
      };
      if (scope) result.scope = scope;
      return result;
    },
  };
}
