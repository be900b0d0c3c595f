import type { IncomingMessage } from 'node:http';
import { errors, jwtVerify } from 'jose';
import {
  WS_SUBPROTOCOL,
  WS_TOKEN_SUBPROTOCOL_PREFIX,
} from '@homelab/plugin-streaming-common';

/**
 * Seed 003: "JWT authentication ... using same token as REST API". HS256 with
 * the configured secret only; `exp` and `nbf` are checked by jose.
 */
export type AuthResult =
  | { ok: true; subject?: string; expiresAtMs?: number }
  | { ok: false; reason: AuthFailure };

export type AuthFailure =
  | 'missing'
  | 'oversize'
  | 'expired'
  | 'not_yet_valid'
  | 'invalid';

/** The seed's error text; the reason only goes to metrics, never to the client. */
export const INVALID_TOKEN_MESSAGE = 'Invalid token';

export interface TokenVerifier {
  verify(token: string | undefined): Promise<AuthResult>;
}

export function createTokenVerifier(
  secret: string,
  maxTokenBytes: number,
): TokenVerifier {
  const key = new TextEncoder().encode(secret);
  return {
    async verify(token) {
      if (!token) return { ok: false, reason: 'missing' };
      // Checked before parsing so a huge token costs nothing but its length.
      if (Buffer.byteLength(token) > maxTokenBytes)
        return { ok: false, reason: 'oversize' };
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
        });
        return {
          ok: true,
          subject: typeof payload.sub === 'string' ? payload.sub : undefined,
          expiresAtMs:
            typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
        };
      } catch (e) {
        if (e instanceof errors.JWTExpired)
          return { ok: false, reason: 'expired' };
        if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'nbf') {
          return { ok: false, reason: 'not_yet_valid' };
        }
        return { ok: false, reason: 'invalid' };
      }
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
