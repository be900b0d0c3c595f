/**
 * @jest-environment node
 */
// Both sides run on Node (the portal's backend and energy-ws); jsdom would
// load jose's browser build, whose WebCrypto checks reject jsdom's buffers.
import { SignJWT, UnsecuredJWT } from 'jose';
import {
  createLiveTokenVerifier,
  LIVE_TOKEN_STREAMS_CLAIM,
  LiveStreamRef,
  mintLiveToken,
  parseStreamsClaim,
} from './liveToken';

const SECRET = 'contracts-test-secret-that-is-long-enough';
const key = (secret: string) => new TextEncoder().encode(secret);
const verifier = createLiveTokenVerifier(SECRET, 4096);

async function mint(
  streams: LiveStreamRef[] = [{ stream: 'energy' }],
  ttl = 120,
) {
  return mintLiveToken({
    secret: SECRET,
    subject: 'user:default/alice',
    ttlSeconds: ttl,
    streams,
  });
}

describe('live token: what the portal mints, energy-ws accepts', () => {
  it('round-trips subject, expiry and scope', async () => {
    const minted = await mint([
      { stream: 'heatpump', device: 'hp1' },
      { stream: 'energy' },
      { stream: 'energy' },
    ]);
    expect(await verifier.verify(minted.token)).toEqual({
      ok: true,
      subject: 'user:default/alice',
      expiresAtMs: minted.expiresAt.getTime(),
      scope: [{ stream: 'heatpump', device: 'hp1' }, { stream: 'energy' }],
    });
  });

  it('refuses to mint a token that allows nothing', async () => {
    await expect(mint([])).rejects.toThrow(/at least one stream/);
  });

  it('accepts a fresh token from a minter whose clock runs a little ahead', async () => {
    const minted = await mintLiveToken({
      secret: SECRET,
      subject: 'user:default/alice',
      ttlSeconds: 120,
      streams: [{ stream: 'energy' }],
      now: new Date(Date.now() + 20_000),
    });
    expect((await verifier.verify(minted.token)).ok).toBe(true);
  });

  it('checks audience and issuer when the verifier names them', async () => {
    const minted = await mintLiveToken({
      secret: SECRET,
      subject: 'user:default/alice',
      ttlSeconds: 120,
      streams: [{ stream: 'energy' }],
      audience: 'energy-ws',
      issuer: 'backstage',
    });
    const expecting = (audience: string, issuer: string) =>
      createLiveTokenVerifier(SECRET, 4096, { audience, issuer }).verify(
        minted.token,
      );
    expect((await expecting('energy-ws', 'backstage')).ok).toBe(true);
    expect(await expecting('other', 'backstage')).toEqual({
      ok: false,
      reason: 'wrong_audience',
    });
    expect(await expecting('energy-ws', 'other')).toEqual({
      ok: false,
      reason: 'wrong_issuer',
    });
  });
});

describe('live token: hostile tokens', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const signed = (claims: Record<string, unknown>, alg = 'HS256') =>
    new SignJWT(claims).setProtectedHeader({ alg }).sign(key(SECRET));

  it('names why each one is refused', async () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['missing', undefined, 'missing'],
      ['empty', '', 'missing'],
      ['garbage', 'not.a.jwt', 'invalid'],
      [
        'other secret',
        (
          await mintLiveToken({
            secret: `${SECRET}-other`,
            subject: 's',
            ttlSeconds: 60,
            streams: [{ stream: 'energy' }],
          })
        ).token,
        'invalid',
      ],
      [
        'alg none',
        new UnsecuredJWT({ streams: ['energy'], exp: now() + 60 }).encode(),
        'invalid',
      ],
      [
        'HS512',
        await signed({ streams: ['energy'], exp: now() + 60 }, 'HS512'),
        'invalid',
      ],
      [
        'expired',
        await signed({ streams: ['energy'], exp: now() - 60 }),
        'expired',
      ],
      [
        'not yet valid',
        await signed({
          streams: ['energy'],
          exp: now() + 600,
          nbf: now() + 300,
        }),
        'not_yet_valid',
      ],
      ['no exp', await signed({ streams: ['energy'] }), 'no_exp'],
      ['no scope', await signed({ exp: now() + 60 }), 'no_streams_claim'],
      [
        'scope not a list',
        await signed({ streams: 'energy', exp: now() + 60 }),
        'bad_streams_claim',
      ],
      [
        'unknown stream',
        await signed({ streams: ['gas'], exp: now() + 60 }),
        'bad_streams_claim',
      ],
      [
        'empty device',
        await signed({ streams: ['energy:'], exp: now() + 60 }),
        'bad_streams_claim',
      ],
      ['huge', `${'a'.repeat(5000)}.b.c`, 'oversize'],
      // Multi-byte characters: the limit is in bytes, not characters.
      ['huge in bytes', `${'é'.repeat(2100)}.b.c`, 'oversize'],
    ];
    for (const [name, token, reason] of cases) {
      expect({ name, result: await verifier.verify(token) }).toEqual({
        name,
        result: { ok: false, reason },
      });
    }
  });

  it('lets a claim-less token see every stream only when told to', async () => {
    const plain = await signed({ exp: now() + 60 });
    const lenient = createLiveTokenVerifier(SECRET, 4096, {
      requireStreamsClaim: false,
    });
    const result = await lenient.verify(plain);
    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.scope).toBeUndefined();
  });
});

describe('the streams claim', () => {
  it('bounds the number of entries a stranger can put in it', () => {
    const many = Array.from({ length: 1001 }, () => 'energy');
    expect(parseStreamsClaim({ [LIVE_TOKEN_STREAMS_CLAIM]: many })).toEqual({
      error: expect.stringContaining('at most 1000'),
    });
    expect(parseStreamsClaim({})).toBeUndefined();
  });
});
