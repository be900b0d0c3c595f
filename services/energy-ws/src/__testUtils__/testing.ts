import { createHmac, generateKeyPairSync, KeyObject } from 'node:crypto';
import { WebSocket } from 'ws';
import { SignJWT } from 'jose';
import { LIVE_TOKEN_STREAMS_CLAIM, STREAMS } from '@homelab/pipeline-contracts';
import { eventually } from '@homelab/test-kit';

/**
 * Token minting for tests and the benchmark; the service itself only verifies.
 * By default the token allows every stream (the backend's claim); `streams:
 * null` mints a claim-less token like the user's own REST API, `expiresInS:
 * null` one without `exp`.
 */
export async function mintToken(
  secret: string,
  options: {
    expiresInS?: number | null;
    notBeforeS?: number;
    subject?: string;
    streams?: string[] | null;
    audience?: string;
    issuer?: string;
  } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const streams =
    options.streams === undefined ? [...STREAMS] : options.streams;
  const jwt = new SignJWT(
    streams === null ? {} : { [LIVE_TOKEN_STREAMS_CLAIM]: streams },
  )
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setSubject(options.subject ?? 'test-user');
  if (options.expiresInS !== null)
    jwt.setExpirationTime(now + (options.expiresInS ?? 3600));
  if (options.notBeforeS !== undefined)
    jwt.setNotBefore(now + options.notBeforeS);
  if (options.audience) jwt.setAudience(options.audience);
  if (options.issuer) jwt.setIssuer(options.issuer);
  return jwt.sign(new TextEncoder().encode(secret));
}

const b64 = (value: unknown) =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Tokens an attacker would try, each of which must be refused. Built by hand
 * where a library would refuse to build them.
 */
/** Generated once per process: RSA key generation is slow on a busy machine. */
let rsaKey: KeyObject | undefined;

export async function attackTokens(
  secret: string,
): Promise<Record<string, string | undefined>> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: 'attacker', iat: now, exp: now + 3600 };
  rsaKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const privateKey = rsaKey;
  const rs256 = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256' })
    .sign(privateKey);
  // "RS256 with an HS key": RS256 in the header, but HMAC-signed with the shared secret.
  const confusedInput = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}`;
  const confused = `${confusedInput}.${createHmac('sha256', secret)
    .update(confusedInput)
    .digest('base64url')}`;
  const hs512 = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS512' })
    .sign(new TextEncoder().encode(secret.padEnd(64, 'x')));
  const valid = await mintToken(secret);
  const [header, payload] = valid.split('.');
  return {
    missing: undefined,
    garbage: 'not-a-jwt',
    wrongSecret: await mintToken(`${secret}-but-wrong`),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
    expired: await mintToken(secret, { expiresInS: -60 }),
    notYetValid: await mintToken(secret, { notBeforeS: 600 }),
    rs256: rs256,
    rs256WithHsKey: confused,
    hs512: hs512,
    tamperedPayload: `${header}.${b64({ ...claims, sub: 'admin' })}.${
      valid.split('.')[2]
    }`,
    noSignature: `${header}.${payload}.`,
    noExp: await mintToken(secret, { expiresInS: null }),
    scopeNotAList: await new SignJWT({ ...claims, streams: 'energy' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret)),
    scopeUnknownStream: await mintToken(secret, { streams: ['gas'] }),
    // Over auth.maxTokenBytes (8 KiB) but within Node's 16 KiB header limit.
    huge: `${header}.${Buffer.alloc(12 * 1024, 'a').toString()}.${
      valid.split('.')[2]
    }`,
  };
}

/** A WebSocket client that records every message and its close, for tests and the benchmark. */
export interface RecordingClient {
  socket: WebSocket;
  messages: Array<Record<string, any>>;
  closed: Promise<{ code: number; reason: string }>;
  isClosed(): boolean;
  send(message: unknown): void;
  /** Resolves with the first recorded message (from index `from`) matching. */
  next(
    match: (m: Record<string, any>) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<Record<string, any>>;
  data(): Array<Record<string, any>>;
}

export function connectClient(
  url: string,
  options: { token?: string; protocols?: string[] } = {},
): Promise<RecordingClient> {
  const target =
    options.token === undefined
      ? url
      : `${url}?token=${encodeURIComponent(options.token)}`;
  const socket = new WebSocket(target, options.protocols ?? []);
  const messages: Array<Record<string, any>> = [];
  let closedFlag = false;
  const closed = new Promise<{ code: number; reason: string }>(resolve =>
    socket.on('close', (code, reason) => {
      closedFlag = true;
      resolve({ code, reason: reason.toString() });
    }),
  );
  socket.on('message', data => messages.push(JSON.parse(data.toString())));
  const client: RecordingClient = {
    socket,
    messages,
    closed,
    isClosed: () => closedFlag,
    send: message =>
      socket.send(
        typeof message === 'string' ? message : JSON.stringify(message),
      ),
    next: (match, timeoutMs = 15_000, from = 0) =>
      eventually('a matching message', () => messages.slice(from).find(match), {
        timeoutMs: timeoutMs,
        intervalMs: 20,
      }),
    data: () => messages.filter(m => m.type === 'data'),
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
  });
}
