import type { IncomingMessage } from 'node:http';
import { createLiveTokenVerifier as createTokenVerifier } from '@homelab/pipeline-contracts';
import { selectSubprotocol, tokenFromRequest } from './auth';
import { attackTokens, mintToken } from './__testUtils__/testing';

const SECRET = 'unit-test-secret-that-is-long-enough-32b';
const verifier = createTokenVerifier(SECRET, 8 * 1024);

describe('token verification', () => {
  it('accepts an HS256 token signed with the secret and reports its expiry', async () => {
    const result = await verifier.verify(
      await mintToken(SECRET, { expiresInS: 120 }),
    );
    expect(result.ok).toBe(true);
    expect(result.ok && result.expiresAtMs).toBeGreaterThan(Date.now());
  });

  it('refuses every attack token', async () => {
    const attacks = await attackTokens(SECRET);
    for (const [name, token] of Object.entries(attacks)) {
      const result = await verifier.verify(token);
      expect({ name, ok: result.ok }).toEqual({ name, ok: false });
    }
  });

  it('names why, for metrics', async () => {
    const attacks = await attackTokens(SECRET);
    expect(await verifier.verify(attacks.expired)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(await verifier.verify(attacks.notYetValid)).toEqual({
      ok: false,
      reason: 'not_yet_valid',
    });
    expect(await verifier.verify(attacks.huge)).toEqual({
      ok: false,
      reason: 'oversize',
    });
    expect(await verifier.verify(undefined)).toEqual({
      ok: false,
      reason: 'missing',
    });
  });
});

describe('token claims', () => {
  it('returns the streams claim as the token scope', async () => {
    const result = await verifier.verify(
      await mintToken(SECRET, { streams: ['heatpump:hp1', 'energy'] }),
    );
    expect(result).toMatchObject({
      ok: true,
      scope: [{ stream: 'heatpump', device: 'hp1' }, { stream: 'energy' }],
    });
  });

  it('refuses a claim-less token in strict mode, and lets it see everything when off', async () => {
    const plain = await mintToken(SECRET, { streams: null });
    expect(await verifier.verify(plain)).toEqual({
      ok: false,
      reason: 'no_streams_claim',
    });
    const lenient = createTokenVerifier(SECRET, 8 * 1024, {
      requireStreamsClaim: false,
    });
    const result = await lenient.verify(plain);
    expect(result.ok).toBe(true);
    expect(result.ok && result.scope).toBeUndefined();
  });

  it('requires exp, and checks aud and iss when configured', async () => {
    expect(
      await verifier.verify(await mintToken(SECRET, { expiresInS: null })),
    ).toEqual({ ok: false, reason: 'no_exp' });
    const strict = createTokenVerifier(SECRET, 8 * 1024, {
      audience: 'energy-ws',
      issuer: 'backstage',
    });
    const good = { audience: 'energy-ws', issuer: 'backstage' };
    expect((await strict.verify(await mintToken(SECRET, good))).ok).toBe(true);
    expect(
      await strict.verify(
        await mintToken(SECRET, { ...good, audience: 'other' }),
      ),
    ).toEqual({ ok: false, reason: 'wrong_audience' });
    expect(
      await strict.verify(await mintToken(SECRET, { issuer: 'backstage' })),
    ).toEqual({ ok: false, reason: 'wrong_audience' });
    expect(
      await strict.verify(
        await mintToken(SECRET, { ...good, issuer: 'someone' }),
      ),
    ).toEqual({ ok: false, reason: 'wrong_issuer' });
  });
});

describe('token sources', () => {
  const req = (url: string, protocol?: string) =>
    ({
      url,
      headers: protocol ? { 'sec-websocket-protocol': protocol } : {},
    } as unknown as IncomingMessage);

  it('reads the seed query parameter', () => {
    expect(tokenFromRequest(req('/ws/energy?token=abc.def.ghi'))).toBe(
      'abc.def.ghi',
    );
    expect(tokenFromRequest(req('/ws/energy'))).toBeUndefined();
  });

  it('prefers the bearer subprotocol and never selects it', () => {
    expect(
      tokenFromRequest(
        req('/ws/energy', 'homelab-energy.v1, bearer.abc.def.ghi'),
      ),
    ).toBe('abc.def.ghi');
    expect(
      selectSubprotocol(new Set(['homelab-energy.v1', 'bearer.abc.def.ghi'])),
    ).toBe('homelab-energy.v1');
    expect(selectSubprotocol(new Set(['bearer.abc.def.ghi']))).toBe(false);
  });
});
