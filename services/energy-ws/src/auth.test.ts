import type { IncomingMessage } from 'node:http';
import {
  createTokenVerifier,
  selectSubprotocol,
  tokenFromRequest,
} from './auth';
import { attackTokens, mintToken } from './__testUtils__/testing';

const SECRET = 'unit-test-secret-that-is-long-enough-32b';

describe('token verification', () => {
  const verifier = createTokenVerifier(SECRET, 8 * 1024);

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
