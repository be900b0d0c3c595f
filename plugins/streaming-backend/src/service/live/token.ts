import { SignJWT } from 'jose';
import {
  formatLiveStreamScope,
  LIVE_TOKEN_STREAMS_CLAIM,
  LiveStreamRef,
} from '@homelab/plugin-streaming-common';

export interface MintedToken {
  token: string;
  expiresAt: Date;
}

/**
 * An energy-ws token: HS256 over the shared secret, the only algorithm
 * energy-ws accepts. It names what it allows (the entity's live streams), so
 * a token leaked from one tab cannot watch every device of the homelab.
 * `nbf` is backdated a little so a server clock a few seconds behind ours
 * does not refuse a fresh token.
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
}): Promise<MintedToken> {
  if (!options.streams.length)
    throw new Error('a live token needs at least one stream in its scope');
  const nowS = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const exp = nowS + options.ttlSeconds;
  const scope = [...new Set(options.streams.map(formatLiveStreamScope))];
  const jwt = new SignJWT({ [LIVE_TOKEN_STREAMS_CLAIM]: scope })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuedAt(nowS)
    .setNotBefore(nowS - 30)
    .setExpirationTime(exp);
  if (options.audience) jwt.setAudience(options.audience);
  if (options.issuer) jwt.setIssuer(options.issuer);
  const token = await jwt.sign(new TextEncoder().encode(options.secret));
  return { token, expiresAt: new Date(exp * 1000) };
}
