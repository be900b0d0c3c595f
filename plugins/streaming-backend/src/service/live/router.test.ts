import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { decodeJwt } from 'jose';
import {
  createLiveTokenVerifier,
  LIVE_TOKEN_STREAMS_CLAIM,
} from '@homelab/plugin-streaming-common';
import { createLiveRouter } from './router';
import { readLiveSettings } from './settings';

const SECRET = 'live-route-test-secret-of-at-least-32-bytes';

function component(name: string, annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      type: 'service',
      owner: 'group:homelab-team',
      lifecycle: 'production',
    },
  };
}

const entities = [
  component('energy-ws', {
    'streaming.homelab.dev/live-streams': 'energy,heatpump:hp1',
  }),
  component('heatpump-only', {
    'streaming.homelab.dev/live-streams': 'heatpump:hp1',
  }),
  component('plain', {}),
  component('malformed', { 'streaming.homelab.dev/live-streams': 'gas' }),
];

/** Mounts only the live routes, the way the streaming plugin does, so this test needs no Kafka or database. */
const liveOnlyPlugin = createBackendPlugin({
  pluginId: 'streaming',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        logger: coreServices.logger,
        catalog: catalogServiceRef,
      },
      async init({
        config,
        httpRouter,
        httpAuth,
        permissions,
        logger,
        catalog,
      }) {
        httpRouter.use(
          createLiveRouter({
            settings: readLiveSettings(config),
            httpAuth,
            permissions,
            catalog,
            logger,
          }),
        );
      },
    });
  },
});

async function start(
  options: {
    permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
    live?: object;
  } = {},
) {
  const { server } = await startTestBackend({
    features: [
      liveOnlyPlugin,
      mockServices.rootConfig.factory({
        data: {
          streaming: {
            live: options.live ?? {
              jwtSecret: SECRET,
              websocketUrl: 'ws://127.0.0.1:8080/ws/energy',
              tokenTtlSeconds: 120,
            },
          },
        },
      }),
      catalogServiceMock.factory({ entities }),
      ...(options.permission
        ? [mockServices.permissions.factory({ result: options.permission })]
        : []),
    ],
  });
  return server;
}

const base = '/api/streaming/entities/component/default';

describe('live token route', () => {
  it('refuses requests without Backstage credentials', async () => {
    const server = await start();
    const res = await request(server)
      .get(`${base}/energy-ws/live/token`)
      .set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('eyJ');
  });

  it('refuses a user without streaming.live.read on the entity', async () => {
    const server = await start({ permission: AuthorizeResult.DENY });
    const res = await request(server)
      .get(`${base}/energy-ws/live/token`)
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('streaming.live.read');
    expect(res.text).not.toContain('eyJ');
  });

  it('gives no token to service principals: energy-ws tokens name a user', async () => {
    const server = await start();
    const res = await request(server)
      .get(`${base}/energy-ws/live/token`)
      .set('Authorization', mockCredentials.service.header());
    expect([401, 403]).toContain(res.status);
  });

  it('mints a short-lived token for the signed-in user that energy-ws accepts, without revealing the secret', async () => {
    const server = await start();
    const userRef = 'user:default/alice';
    const res = await request(server)
      .get(`${base}/energy-ws/live/token`)
      .set('Authorization', mockCredentials.user.header(userRef));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).not.toContain(SECRET);
    expect(res.body.websocketUrl).toBe('ws://127.0.0.1:8080/ws/energy');
    expect(res.body.streams).toEqual([
      { stream: 'energy' },
      { stream: 'heatpump', device: 'hp1' },
    ]);

    // Verified with energy-ws's own verifier: HS256 over the shared secret only.
    const verified = await createLiveTokenVerifier(SECRET, 4096).verify(
      res.body.token,
    );
    expect(verified).toEqual({
      ok: true,
      subject: userRef,
      expiresAtMs: Date.parse(res.body.expiresAt),
      // The token names what it allows: the entity's annotation, nothing more.
      scope: [{ stream: 'energy' }, { stream: 'heatpump', device: 'hp1' }],
    });
    const payload = decodeJwt(res.body.token);
    expect(payload[LIVE_TOKEN_STREAMS_CLAIM]).toEqual([
      'energy',
      'heatpump:hp1',
    ]);
    expect(payload.aud).toBeUndefined();
    expect(payload.iss).toBeUndefined();
    const lifetimeS = (Date.parse(res.body.expiresAt) - Date.now()) / 1000;
    expect(lifetimeS).toBeGreaterThan(100);
    expect(lifetimeS).toBeLessThanOrEqual(120);

    // A token signed by a backend with another secret is worthless to this energy-ws.
    await expect(
      createLiveTokenVerifier(`${SECRET}-other`, 4096).verify(res.body.token),
    ).resolves.toEqual({ ok: false, reason: 'invalid' });
  });

  it('puts the configured audience and issuer in every token', async () => {
    const server = await start({
      live: {
        jwtSecret: SECRET,
        websocketUrl: 'ws://127.0.0.1:8080/ws/energy',
        audience: 'energy-ws',
        issuer: 'https://backstage.homelab.example',
      },
    });
    const res = await request(server)
      .get(`${base}/heatpump-only/live/token`)
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    const claims = decodeJwt(res.body.token);
    expect(claims).toMatchObject({
      aud: 'energy-ws',
      iss: 'https://backstage.homelab.example',
      [LIVE_TOKEN_STREAMS_CLAIM]: ['heatpump:hp1'],
    });
    expect(typeof claims.exp).toBe('number');
    // An energy-ws configured with the same audience and issuer accepts it; one expecting others does not.
    const expecting = (audience: string, issuer: string) =>
      createLiveTokenVerifier(SECRET, 4096, { audience, issuer }).verify(
        res.body.token,
      );
    await expect(
      expecting('energy-ws', 'https://backstage.homelab.example'),
    ).resolves.toMatchObject({ ok: true });
    await expect(
      expecting('other-ws', 'https://backstage.homelab.example'),
    ).resolves.toEqual({ ok: false, reason: 'wrong_audience' });
    await expect(
      expecting('energy-ws', 'https://elsewhere.example'),
    ).resolves.toEqual({ ok: false, reason: 'wrong_issuer' });
  });

  it('refuses to start with a secret energy-ws would refuse', async () => {
    await expect(
      start({
        live: {
          jwtSecret: 'short',
          websocketUrl: 'ws://127.0.0.1:8080/ws/energy',
        },
      }),
    ).rejects.toThrow(/streaming\.live\.jwtSecret must be at least 32 bytes/);
  });

  it('says what is wrong with the entity annotation', async () => {
    const server = await start();
    const user = mockCredentials.user.header();
    const plain = await request(server)
      .get(`${base}/plain/live/token`)
      .set('Authorization', user);
    expect(plain.status).toBe(400);
    expect(plain.body.error.message).toContain(
      'has no streaming.homelab.dev/live-streams annotation',
    );
    const malformed = await request(server)
      .get(`${base}/malformed/live/token`)
      .set('Authorization', user);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toContain(
      'streams are energy, heatpump, temperature',
    );
    const missing = await request(server)
      .get(`${base}/nobody/live/token`)
      .set('Authorization', user);
    expect(missing.status).toBe(404);
  });

  it('answers 503 naming the config keys when live streaming is not configured', async () => {
    const server = await start({ live: {} });
    const res = await request(server)
      .get(`${base}/energy-ws/live/token`)
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain('streaming.live.jwtSecret');
    expect(res.body.error.message).toContain('streaming.live.websocketUrl');
  });

  it('checks the history query before touching a database', async () => {
    const server = await start();
    const user = mockCredentials.user.header();
    const stream = await request(server)
      .get(`${base}/energy-ws/live/history?stream=temperature`)
      .set('Authorization', user);
    expect(stream.status).toBe(400);
    expect(stream.body.error.message).toContain('energy, heatpump');
    const minutes = await request(server)
      .get(`${base}/energy-ws/live/history?stream=energy&minutes=600`)
      .set('Authorization', user);
    expect(minutes.status).toBe(400);
    expect(minutes.body.error.message).toContain('between 1 and 60');
  });
});
