import { Browser } from 'playwright-core';
import { launchBrowser, screenshot, signInAsGuest } from './browser';
import { Portal, startPortal } from './portal';

const databaseUrl = process.env.DATABASE_URL;

describe('the portal', () => {
  let portal: Portal;
  let browser: Browser;

  beforeAll(async () => {
    if (!databaseUrl) {
      throw new Error(
        'DATABASE_URL is not set: run the tests through bin/test',
      );
    }
    portal = await startPortal({ databaseUrl });
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('serves the System from catalog-info.yaml through the catalog API', async () => {
    const token = await portal.guestToken();
    const deadline = Date.now() + 60_000;
    let body: unknown;
    for (;;) {
      const res = await fetch(
        `${portal.baseUrl}/api/catalog/entities/by-name/system/default/homelab-streaming`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      if (res.ok) {
        body = await res.json();
        break;
      }
      // The catalog ingests its locations a few seconds after start.
      if (Date.now() > deadline)
        throw new Error(`catalog never served the system: ${res.status}`);
      await new Promise(r => setTimeout(r, 1000));
    }
    expect(body).toMatchObject({
      kind: 'System',
      metadata: { name: 'homelab-streaming', title: 'Homelab Streaming' },
      spec: { owner: 'group:homelab-team' },
    });
  }, 90_000);

  it('loads every entity file with zero processing errors', async () => {
    const token = await portal.guestToken();
    const headers = { authorization: `Bearer ${token}` };
    const expected = [
      'component:default/mqtt-kafka-bridge',
      'component:default/timescaledb-sink',
      'component:default/energy-ws',
      'component:default/device-simulator',
      'component:default/homelab-portal',
      'api:default/homelab-mqtt',
      'api:default/homelab-kafka',
      'api:default/energy-ws-protocol',
      'api:default/streaming-backend-api',
      'resource:default/kafka-cluster',
      'resource:default/hypertable-energy-readings',
    ];
    type Entity = {
      kind: string;
      metadata: { name: string; namespace?: string };
      status?: { items?: { level: string; message: string }[] };
    };
    const ref = (e: Entity) =>
      `${e.kind.toLowerCase()}:${e.metadata.namespace ?? 'default'}/${
        e.metadata.name
      }`;
    const deadline = Date.now() + 120_000;
    let entities: Entity[] = [];
    // Locations are read one level per processing round; wait for all of them.
    while (Date.now() < deadline) {
      const res = await fetch(`${portal.baseUrl}/api/catalog/entities`, {
        headers,
      });
      entities = (await res.json()) as Entity[];
      const refs = new Set(entities.map(ref));
      const apisProcessed = entities.some(
        e => ref(e) === 'api:default/streaming-backend-api',
      );
      if (expected.every(r => refs.has(r)) && apisProcessed) break;
      await new Promise(r => setTimeout(r, 2000));
    }
    expect(entities.map(ref)).toEqual(expect.arrayContaining(expected));
    const errors = entities.flatMap(e =>
      (e.status?.items ?? [])
        .filter(i => i.level === 'error')
        .map(i => `${ref(e)}: ${i.message}`),
    );
    expect(errors).toEqual([]);
  }, 150_000);

  it('refuses catalog requests without credentials', async () => {
    const res = await fetch(`${portal.baseUrl}/api/catalog/entities`);
    expect(res.status).toBe(401);
  });

  it('shows the System in the catalog in a real Chromium', async () => {
    const page = await browser.newPage();
    await page.goto(`${portal.baseUrl}/?filters%5Bkind%5D=system`);
    await signInAsGuest(page);
    const link = page.getByRole('link', { name: /homelab streaming/i }).first();
    await link.waitFor({ timeout: 60_000 });
    await screenshot(page, '01-catalog-system');
    await link.click();
    await page
      .getByText(/IoT data pipeline/)
      .first()
      .waitFor({ timeout: 30_000 });
    expect(page.url()).toContain('/catalog/default/system/homelab-streaming');
    await screenshot(page, '02-system-page');
    await page.close();
  }, 150_000);
});
