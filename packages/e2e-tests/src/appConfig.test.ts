import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './portal';

/**
 * Which config files allow which sign-in. The portal is reachable from a
 * LAN; guest sign-in must never come with the files a deployment uses.
 */
const read = (file: string) => ({
  config: parse(readFileSync(join(repoRoot, file), 'utf8')),
});

describe('app-config files', () => {
  const base = read('app-config.yaml');
  const production = read('app-config.production.yaml');
  const localStack = read('app-config.local-stack.yaml');

  it('never let guests in outside development', () => {
    for (const { config } of [base, production, localStack]) {
      expect(
        config.auth?.providers?.guest?.dangerouslyAllowOutsideDevelopment,
      ).toBeUndefined();
    }
    expect(base.config.auth?.providers?.guest).toBeUndefined();
    expect(production.config.auth.providers.guest).toBeUndefined();
  });

  it('sign a deployment in with OIDC, mapped to catalog users, secrets from the environment', () => {
    const oidc = production.config.auth.providers.oidc.production;
    expect(production.config.auth.environment).toBe('production');
    expect(oidc.clientSecret).toMatch(/^\$\{[A-Z_]+\}$/);
    expect(oidc.metadataUrl).toMatch(/^\$\{[A-Z_]+\}$/);
    expect(production.config.auth.session.secret).toMatch(/^\$\{[A-Z_]+\}$/);
    expect(
      oidc.signIn.resolvers.map((r: { resolver: string }) => r.resolver),
    ).toEqual([
      'emailMatchingUserEntityProfileEmail',
      'emailLocalPartMatchingUserEntityName',
    ]);
    for (const r of oidc.signIn.resolvers)
      expect(r.dangerouslyAllowSignInWithoutUserInCatalog).toBeUndefined();
  });

  it('keep guest sign-in for the local stack, owning what the demo owns', () => {
    expect(localStack.config.auth.environment).toBe('development');
    expect(
      localStack.config.auth.providers.guest.ownershipEntityRefs,
    ).toContain('group:default/homelab-team');
    const root = parse(
      readFileSync(join(repoRoot, 'catalog-info.yaml'), 'utf8').split(
        /^---$/m,
      )[0],
    );
    expect(root.spec.owner).toBe('group:homelab-team');
  });

  it('listen on loopback unless told otherwise', () => {
    expect(base.config.backend.listen.host).toBe('${BACKEND_HOST:-127.0.0.1}');
  });
});
