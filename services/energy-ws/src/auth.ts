import type { IncomingMessage } from 'node:http';
import { errors, JWTPayload, jwtVerify } from 'jose';
import {
  LiveStreamRef,
  WS_SUBPROTOCOL,
  WS_TOKEN_SUBPROTOCOL_PREFIX,
} from '@homelab/plugin-streaming-common';
import { parseStreamsClaim } from './scope';

/**
 * Seed 003: "JWT authentication ... using same token as REST API". HS256 with
 * the configured secret only; `exp` is required, `nbf` checked, and `aud` and
 * `iss` when configured.
 */
export type AuthResult =
  | {
      ok: true;
      subject?: string;
      expiresAtMs: number;
      /** The token's `streams` claim; absent for a claim-less token in non-strict mode (every stream). */
      scope?: LiveStreamRef[];
    }
  | { ok: false; reason: AuthFailure };

export type AuthFailure =
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

/** The seed's error text; the reason only goes to metrics and logs, never to the client. */
export const INVALID_TOKEN_MESSAGE = 'Invalid token';

export interface TokenVerifier {
  verify(token: string | undefined): Promise<AuthResult>;
}

export interface TokenVerifierOptions {
  /** Refuse tokens without the `streams` claim (default true); false keeps seed 003's "every stream". */
  requireStreamsClaim?: boolean;
  /** When set, the token's `aud` must name it. */
  audience?: string;
  /** When set, the token's `iss` must equal it. */
  issuer?: string;
}

const CLAIM_FAILURES: Record<string, AuthFailure> = {
  exp: 'no_exp',
  aud: 'wrong_audience',
  iss: 'wrong_issuer',
  nbf: 'not_yet_valid',
};

export function createTokenVerifier(
  secret: string,
  maxTokenBytes: number,
  options: TokenVerifierOptions = {},
): TokenVerifier {
  const key = new TextEncoder().encode(secret);
  const requireStreamsClaim = options.requireStreamsClaim ?? true;
  return {
    async verify(token) {
      if (!token) return { ok: false, reason: 'missing' };
      // Checked before parsing so a huge token costs nothing but its length.
      if (Buffer.byteLength(token) > maxTokenBytes)
        return { ok: false, reason: 'oversize' };
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
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
      const result: AuthResult = {
        ok: true,
        subject: typeof payload.sub === 'string' ? payload.sub : undefined,
        expiresAtMs: payload.exp! * 1000,
      };
      if (scope) result.scope = scope;
      return result;
    },
  };
}

function offeredSubprotocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (!header) return [];
  return (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
}

/**
 * The token from `Sec-WebSocket-Protocol: bearer.<JWT>` (what browsers can
 * send without putting it in a URL) or else from the seed's `?token=`.
 */
export function tokenFromRequest(req: IncomingMessage): string | undefined {
  const bearer = offeredSubprotocols(req).find(p =>
    p.startsWith(WS_TOKEN_SUBPROTOCOL_PREFIX),
  );
  if (bearer)
    return bearer.slice(WS_TOKEN_SUBPROTOCOL_PREFIX.length) || undefined;
  const query = (req.url ?? '').split('?')[1];
  if (!query) return undefined;
  return new URLSearchParams(query).get('token') ?? undefined;
}

/**
 * The server never echoes the token back: it selects `homelab-energy.v1` when
 * offered, so clients that send `bearer.<JWT>` must offer both.
 */
export function selectSubprotocol(offered: Set<string>): string | false {
  return offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false;
}
