import {
  ApiBlueprint,
  BackstageIdentityApi,
  configApiRef,
  createApiRef,
  createFrontendModule,
  discoveryApiRef,
  oauthRequestApiRef,
  OpenIdConnectApi,
  ProfileInfoApi,
  SessionApi,
  useApi,
} from '@backstage/frontend-plugin-api';
import {
  SignInPageBlueprint,
  SignInPageProps,
} from '@backstage/plugin-app-react';
import { OAuth2 } from '@backstage/core-app-api';
import { SignInPage } from '@backstage/core-components';

/** The generic OIDC provider that app-config.production.yaml configures (Keycloak, Authentik, Dex, …). */
export const oidcAuthApiRef = createApiRef<
  OpenIdConnectApi & ProfileInfoApi & BackstageIdentityApi & SessionApi
>({ id: 'auth.oidc' });

const oidcAuthApi = ApiBlueprint.make({
  name: 'oidc',
  params: defineParams =>
    defineParams({
      api: oidcAuthApiRef,
      deps: {
        configApi: configApiRef,
        discoveryApi: discoveryApiRef,
        oauthRequestApi: oauthRequestApiRef,
      },
      factory: ({ configApi, discoveryApi, oauthRequestApi }) =>
        OAuth2.create({
          configApi,
          discoveryApi,
          oauthRequestApi,
          provider: { id: 'oidc', title: 'Single sign-on', icon: () => null },
          environment: configApi.getOptionalString('auth.environment'),
          defaultScopes: ['openid', 'profile', 'email'],
        }),
    }),
});

/**
 * Offers what the backend accepts: guest in the local stack
 * (app-config.local-stack.yaml sets `auth.environment: development`), OIDC
 * everywhere else (app-config.production.yaml).
 */
function HomelabSignInPage(props: SignInPageProps) {
  const config = useApi(configApiRef);
  if (config.getOptionalString('auth.environment') !== 'development') {
    return (
      <SignInPage
        {...props}
        providers={[
          {
            id: 'oidc-auth-provider',
            title: 'Single sign-on',
            message: "Sign in with your homelab's identity provider",
            apiRef: oidcAuthApiRef,
          },
        ]}
      />
    );
  }
  return <SignInPage {...props} providers={['guest']} />;
}

export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [
    oidcAuthApi,
    SignInPageBlueprint.make({
      params: { loader: async () => HomelabSignInPage },
    }),
  ],
});
