import {
  coreServices,
  createBackendFeatureLoader,
} from '@backstage/backend-plugin-api';

/**
 * The portal's sign-in providers. Generic OIDC (Keycloak, Authentik, Dex,
 * …) is what app-config.production.yaml configures; the auth plugin skips it
 * when `auth.providers.oidc` is absent. Guest sign-in exists only where a
 * config names it, which only app-config.local-stack.yaml (bin/dev, the
 * end-to-end tests) does: the guest module cannot even start without its
 * config block, and refuses sign-ins outside NODE_ENV=development.
 */
export default createBackendFeatureLoader({
  deps: { config: coreServices.rootConfig },
  async *loader({ config }) {
    yield import('@backstage/plugin-auth-backend-module-oidc-provider');
    if (config.has('auth.providers.guest')) {
      yield import('@backstage/plugin-auth-backend-module-guest-provider');
    }
  },
});
