import type { IncomingMessage } from 'node:http';
import {
  WS_SUBPROTOCOL,
  WS_TOKEN_SUBPROTOCOL_PREFIX,
} from '@homelab/pipeline-contracts';

/*
 * Where energy-ws finds the token in an upgrade request. Verifying it is the
 * contracts' createLiveTokenVerifier, the counterpart of the portal's minter.
 */

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
 * send without putting it in a URL) or else from `?token=`, which existing clients use.
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
