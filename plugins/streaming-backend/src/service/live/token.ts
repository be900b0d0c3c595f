import { SignJWT } from 'jose';

export interface MintedToken {
  token: string;
  expiresAt: Date;
}

/**
 * An energy-ws token: HS256 over the shared secret, the only algorithm
 * energy-ws accepts. `nbf` is backdated a little so a server clock a few
 * seconds behind ours does not refuse a fresh token.
 */
export async function mintLiveToken(options: {
  secret: string;
  subject: string;
  ttlSeconds: number;
  now?: Date;
}): Promise<MintedToken> {
  const nowS = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const exp = nowS + options.ttlSeconds;
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuedAt(nowS)
    .setNotBefore(nowS - 30)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(options.secret));
  return { token, expiresAt: new Date(exp * 1000) };
}
