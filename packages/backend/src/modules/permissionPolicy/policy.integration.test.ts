import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthService,
  BackstageUserPrincipal,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { ConfigReader } from '@backstage/config';
import request from 'supertest';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import streamingPlugin from '@homelab/plugin-streaming-backend';
import policyModule from '.';
import { readPolicySettings } from './settings';

jest.setTimeout(180_000);

const OWNER_GROUP = 'group:default/homelab-team';
const ADMIN_GROUP = 'group:default/homelab-admins';

/** Who is who: what a catalog User's memberOf would give each of them at sign-in. */
const OWNERSHIP: Record<string, string[]> = {
  'user:default/owner': ['user:default/owner', OWNER_GROUP],
  'user:default/admin': ['user:default/admin', ADMIN_GROUP],
  'user:default/stranger': [
    'user:default/stranger',
    'group:default/other-team',
  ],
};

const ENTITY = `
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: sink
  annotations:
    kafka.apache.org/consumer-groups: local/policy-test-group
    streaming.homelab.dev/hypertables: timescale/energy_readings
    streaming.homelab.dev/live-streams: heatpump:hp1
spec:
  type: service
  lifecycle: production
  owner: ${OWNER_GROUP}
`;

if (!process.env.DATABASE_URL) {
  throw new Error(
    'DATABASE_URL is not set: run the tests through `node packages/infra/bin/homelab-infra.mjs exec -- …`',
  );
}
// Backstage's TestDatabases on the PostgreSQL homelab-infra started: a fresh database per init().
process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING =
  process.env.DATABASE_URL;
const databases = TestDatabases.create({
  ids: ['POSTGRES_15'],
  disableDocker: true,
});

/**
 * The mock auth service, except that a plugin calling another on behalf of
 * a user carries the calling plugin as actor, as Backstage's real tokens do:
 * the permission backend insists on it for requests without a resourceRef
 * (the catalog's own list and get-by-name checks).
 */
const authWithActors = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }): AuthService {
    const base = mockServices.auth({ pluginId: plugin.getId() });
    const PREFIX = 'mock-service-token:';
    return {
      async authenticate(token, options) {
        const credentials = await base.authenticate(token, options);
        if (
          token.startsWith(PREFIX) &&
          (credentials.principal as { type?: string }).type === 'user'
        ) {
          const { obo } = JSON.parse(token.slice(PREFIX.length));
          return mockCredentials.user(obo, {
            actor: { subject: 'plugin:test' },
          }) as typeof credentials;
        }
        return credentials;
      },
      getNoneCredentials: () => base.getNoneCredentials(),
      getOwnServiceCredentials: () => base.getOwnServiceCredentials(),
      isPrincipal: base.isPrincipal.bind(base) as AuthService['isPrincipal'],
      getPluginRequestToken: options => base.getPluginRequestToken(options),
      getLimitedUserToken: credentials => base.getLimitedUserToken(credentials),
      listPublicServiceKeys: () => base.listPublicServiceKeys(),
    };
  },
});

/**
 * The real permission backend with our policy, the real catalog (which
 * resolves the owner condition against the entity's relations) and the
 * real streaming plugin, each on a PostgreSQL database of its own.
 */
async function startPortal() {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  writeFileSync(join(dir, 'entities.yaml'), ENTITY);
  const { server } = await startTestBackend({
    features: [
      catalogPlugin,
      permissionPlugin,
      policyModule,
      streamingPlugin,
      permissionsServiceFactory,
      authWithActors,
      httpAuthServiceFactory,
      createServiceFactory({
        service: coreServices.database,
        deps: {},
        async factory() {
          const knex = await databases.init('POSTGRES_15');
          return { getClient: async () => knex };
        },
      }),
      createServiceFactory({
        service: coreServices.userInfo,
        deps: {},
        factory: () => ({
          async getUserInfo(credentials) {
            const { userEntityRef } =
              credentials.principal as BackstageUserPrincipal;
            return {
              userEntityRef,
              ownershipEntityRefs: OWNERSHIP[userEntityRef] ?? [userEntityRef],
            };
          },
        }),
      }),
      mockServices.rootConfig.factory({
        data: {
          permission: { enabled: true },
          catalog: {
            locations: [{ type: 'file', target: join(dir, 'entities.yaml') }],
          },
          kafka: {
            clientId: 'policy-test',
            clusters: [
              { name: 'local', brokers: [process.env.KAFKA_BROKERS!] },
            ],
          },
          streaming: {
            permissions: { adminGroups: ['homelab-admins'] },
            timescale: {
              databases: [
                {
                  name: 'timescale',
                  connection: process.env.TIMESCALE_URL!,
                  maxConnections: 1,
                },
              ],
            },
            live: {
              jwtSecret: 'policy-test-secret-of-at-least-32-bytes',
              websocketUrl: 'ws://127.0.0.1:1/ws/energy',
            },
          },
        },
      }),
    ],
  });
  // The catalog ingests its location a moment after start; the policy needs
  // the entity's ownedBy relation.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await request(server)
      .get('/api/catalog/entities/by-name/component/default/sink')
      .set(
        'Authorization',
        mockCredentials.user.header('user:default/stranger'),
      );
    if (
      res.status === 200 &&
      res.body.relations?.some((r: { type: string }) => r.type === 'ownedBy')
    )
      break;
    if (Date.now() > deadline)
      throw new Error(
        `the catalog never served the entity: ${res.status} ${res.text}`,
      );
    await new Promise(r => setTimeout(r, 500));
  }
  return server;
}

const ROUTES = [
  { permission: 'streaming.kafka.read', path: 'kafka' },
  { permission: 'streaming.timescale.read', path: 'timescale' },
  { permission: 'streaming.live.read', path: 'live/token' },
];

describe('the streaming owner policy', () => {
  let server: Awaited<ReturnType<typeof startPortal>>;
  beforeAll(async () => {
    server = await startPortal();
  });

  const get = (path: string, user: string) =>
    request(server)
      .get(`/api/streaming/entities/component/default/sink/${path}`)
      .set('Authorization', mockCredentials.user.header(user));

  describe.each(ROUTES)('$permission', ({ permission, path }) => {
    it("is allowed to a member of the entity's owner group", async () => {
      const res = await get(path, 'user:default/owner');
      expect(res.status).toBe(200);
    });

    it('is allowed to a member of a configured admin group', async () => {
      const res = await get(path, 'user:default/admin');
      expect(res.status).toBe(200);
    });

    it('is denied to everyone else, naming the permission', async () => {
      const res = await get(path, 'user:default/stranger');
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain(permission);
      // The stranger may read the entity in the catalog, so they learn whom to ask.
      expect(res.body.error.message).toContain(
        `ask an owner of ${OWNER_GROUP}`,
      );
      // A denied caller learns nothing about the data.
      expect(JSON.stringify(res.body)).not.toMatch(/eyJ|groups|tables/);
      // And an owner's request right after still works.
      expect((await get(path, 'user:default/owner')).status).toBe(200);
    });
  });

  it('keeps the rest of Backstage allowed, e.g. reading the catalog', async () => {
    const res = await request(server)
      .get('/api/catalog/entities/by-name/component/default/sink')
      .set(
        'Authorization',
        mockCredentials.user.header('user:default/stranger'),
      );
    expect(res.status).toBe(200);
  });
});

describe('streaming.permissions config', () => {
  it('accepts group names and refs, and names the key when a value cannot work', () => {
    const read = (adminGroups: string | string[]) =>
      readPolicySettings(
        new ConfigReader({ streaming: { permissions: { adminGroups } } }),
      );
    expect([...read(['admins', 'group:infra/ops']).adminGroups]).toEqual([
      'group:default/admins',
      'group:infra/ops',
    ]);
    expect(() => read(['user:default/bob'])).toThrow(
      'streaming.permissions.adminGroups.0: "user:default/bob" is a user, not a group',
    );
    expect(() => read('admins')).toThrow(/streaming\.permissions\.adminGroups/);
    expect([...readPolicySettings(new ConfigReader({})).adminGroups]).toEqual(
      [],
    );
  });
});
