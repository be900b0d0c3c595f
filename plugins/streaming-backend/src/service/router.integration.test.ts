import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { streamingPlugin } from '../plugin';
import { pluginTestDatabases } from '../__testUtils__/databases';

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
  component('sink', {
    'kafka.apache.org/consumer-groups': 'local/timescaledb-energy',
    'streaming.homelab.dev/consumes-topics': 'local/homelab.energy',
    'streaming.homelab.dev/hypertables': 'timescale/energy_readings',
  }),
  component('wrong-cluster', {
    'kafka.apache.org/consumer-groups': 'prod/timescaledb-energy',
  }),
  component('malformed', {
    'kafka.apache.org/consumer-groups': 'timescaledb-energy',
  }),
  component('wrong-database', {
    'streaming.homelab.dev/hypertables': 'warehouse/energy_readings',
  }),
];

const databases = pluginTestDatabases();

async function start(
  options: { permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY } = {},
) {
  const knex = await databases.init('POSTGRES_15');
  const { server } = await startTestBackend({
    features: [
      streamingPlugin,
      mockServices.rootConfig.factory({
        data: {
          kafka: {
            clientId: 'backstage-test',
            // Nothing listens on port 1: the cluster is configured but down.
            clusters: [
              {
                name: 'local',
                brokers: ['127.0.0.1:1'],
                dashboardUrl: 'http://console.local',
              },
            ],
          },
          streaming: {
            timescale: {
              databases: [
                {
                  name: 'timescale',
                  connection: 'postgres://nobody@127.0.0.1:1/none',
                },
              ],
            },
          },
        },
      }),
      mockServices.database.factory({ knex }),
      catalogServiceMock.factory({ entities }),
      ...(options.permission
        ? [mockServices.permissions.factory({ result: options.permission })]
        : []),
    ],
  });
  return server;
}

const user = mockCredentials.user.header();
const base = '/api/streaming/entities/component/default';

describe('streaming router', () => {
  it('refuses requests without Backstage credentials', async () => {
    const server = await start();
    for (const path of [
      'sink/kafka',
      'sink/timescale',
      'sink/timescale/history?table=timescale/energy_readings',
    ]) {
      // The mock auth treats a missing header as the default user; this header is "no credentials".
      const res = await request(server)
        .get(`${base}/${path}`)
        .set('Authorization', mockCredentials.none.header());
      expect(res.status).toBe(401);
    }
  });

  it('enforces streaming.kafka.read and streaming.timescale.read', async () => {
    const server = await start({ permission: AuthorizeResult.DENY });
    const kafka = await request(server)
      .get(`${base}/sink/kafka`)
      .set('Authorization', user);
    expect(kafka.status).toBe(403);
    expect(kafka.body.error.message).toContain('streaming.kafka.read');
    const timescale = await request(server)
      .get(`${base}/sink/timescale`)
      .set('Authorization', user);
    expect(timescale.status).toBe(403);
    expect(timescale.body.error.message).toContain('streaming.timescale.read');
  });

  it('names the configured clusters when an annotation names an unknown one', async () => {
    const server = await start();
    const res = await request(server)
      .get(`${base}/wrong-cluster/kafka`)
      .set('Authorization', user);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'annotation kafka.apache.org/consumer-groups names cluster "prod"; configured clusters are "local"',
    );
  });

  it('says what form a malformed annotation should have', async () => {
    const server = await start();
    const res = await request(server)
      .get(`${base}/malformed/kafka`)
      .set('Authorization', user);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(
      'kafka.apache.org/consumer-groups',
    );
    expect(res.body.error.message).toContain('<cluster>/<group>');
  });

  it('names the configured databases when an annotation names an unknown one', async () => {
    const server = await start();
    const res = await request(server)
      .get(`${base}/wrong-database/timescale`)
      .set('Authorization', user);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'annotation streaming.homelab.dev/hypertables names database "warehouse"; configured databases are "timescale"',
    );
  });

  it('only serves history for tables the entity declares, with a valid bucket', async () => {
    const server = await start();
    const other = await request(server)
      .get(`${base}/sink/timescale/history?table=timescale/pg_authid`)
      .set('Authorization', user);
    expect(other.status).toBe(400);
    expect(other.body.error.message).toContain('"timescale/energy_readings"');
    const bucket = await request(server)
      .get(
        `${base}/sink/timescale/history?table=timescale/energy_readings&bucket=minute`,
      )
      .set('Authorization', user);
    expect(bucket.status).toBe(400);
    expect(bucket.body.error.message).toContain('hour, day');
  });

  it('answers 404 for an entity that is not in the catalog', async () => {
    const server = await start();
    const res = await request(server)
      .get(`${base}/nope/kafka`)
      .set('Authorization', user);
    expect(res.status).toBe(404);
  });

  it('returns a partial answer with the error when the cluster and database are down', async () => {
    const server = await start();
    const kafka = await request(server)
      .get(`${base}/sink/kafka`)
      .set('Authorization', user);
    expect(kafka.status).toBe(200);
    expect(kafka.body.entityRef).toBe('component:default/sink');
    expect(kafka.body.clusters).toEqual([
      { name: 'local', dashboardUrl: 'http://console.local' },
    ]);
    expect(kafka.body.groups).toHaveLength(1);
    expect(kafka.body.groups[0].error).toContain(
      'cannot read consumer group timescaledb-energy on cluster local',
    );
    const timescale = await request(server)
      .get(`${base}/sink/timescale`)
      .set('Authorization', user);
    expect(timescale.status).toBe(200);
    expect(timescale.body.tables[0].error).toContain(
      'cannot read timescale/energy_readings',
    );
  }, 60_000);

  it('tells the browser why a cluster or database failed, but never where it lives', async () => {
    const server = await start();
    const bodies = [
      await request(server)
        .get(`${base}/sink/kafka`)
        .set('Authorization', user),
      await request(server)
        .get(`${base}/sink/timescale`)
        .set('Authorization', user),
      await request(server)
        .get(`${base}/sink/timescale/history?table=timescale/energy_readings`)
        .set('Authorization', user),
    ];
    for (const res of bodies) {
      // The configured addresses: brokers 127.0.0.1:1, postgres://nobody@127.0.0.1:1/none.
      expect(res.text).not.toMatch(
        /127\.0\.0\.1|:1\b|postgres:\/\/|nobody|ECONNREFUSED/,
      );
    }
    const [kafka, timescale, history] = bodies;
    expect(kafka.body.groups[0].error).toBe(
      'cannot read consumer group timescaledb-energy on cluster local: connection refused',
    );
    expect(timescale.body.tables[0].error).toBe(
      'cannot read timescale/energy_readings: connection refused',
    );
    // A route with nothing partial to return answers 503 with the short reason.
    expect(history.status).toBe(503);
    expect(history.body.error.message).toContain('connection refused');
    // The request still flows normally afterwards.
    const again = await request(server)
      .get(`${base}/wrong-cluster/kafka`)
      .set('Authorization', user);
    expect(again.status).toBe(400);
  }, 90_000);
});
