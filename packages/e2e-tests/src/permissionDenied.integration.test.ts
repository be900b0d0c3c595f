import { randomBytes } from 'node:crypto';
import { Browser } from 'playwright-core';
import { launchBrowser, screenshot, signInAsGuest, step } from './browser';
import { Portal, startPortal } from './portal';

const databaseUrl = process.env.DATABASE_URL;

/**
 * The real portal with the real permission policy, signed in as someone who
 * owns nothing: the streaming tabs say which permission is missing and whom
 * to ask, instead of showing data or a bare error.
 */
describe('a visitor who does not own the entity', () => {
  let portal: Portal;
  let browser: Browser;

  beforeAll(async () => {
    if (!databaseUrl) {
      throw new Error(
        'DATABASE_URL is not set: run the tests through bin/test',
      );
    }
    portal = await startPortal({
      databaseUrl,
      // The local stack's guest owns the demo; this one is nobody in particular.
      extraConfig: [
        'auth:',
        '  providers:',
        '    guest:',
        '      userEntityRef: user:default/visitor',
        '      ownershipEntityRefs: [user:default/visitor]',
      ].join('\n'),
      env: { JWT_SECRET: randomBytes(32).toString('hex') },
    });
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  async function asVisitor(path: string, name: string, expected: RegExp[]) {
    const page = await browser.newPage();
    try {
      await step(page, name, async () => {
        await page.goto(`${portal.baseUrl}${path}`);
        await signInAsGuest(page);
        // The catalog ingests its locations a little after start; the page reloads until it has.
        for (const text of expected) {
          await page.getByText(text).first().waitFor({ timeout: 120_000 });
        }
        await screenshot(page, name);
      });
    } finally {
      await page.close();
    }
  }

  it('sees why the Kafka tab is empty: the missing permission and the owner group to ask', async () => {
    await asVisitor(
      '/catalog/default/component/timescaledb-sink/kafka',
      'permission-denied-01-kafka',
      [
        /You may not read Kafka data for this entity/,
        /You need the streaming\.kafka\.read permission on this entity; ask an owner of group:default\/homelab-team/,
      ],
    );
  }, 240_000);

  it('gets the same answer from the API, and no data', async () => {
    const token = await portal.guestToken();
    const res = await fetch(
      `${portal.baseUrl}/api/streaming/entities/component/default/timescaledb-sink/timescale`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(res.status).toBe(403);
    const body = (await res.json()) as {
      error: { message: string };
      tables?: unknown;
    };
    expect(body.error.message).toContain(
      'permission streaming.timescale.read denied',
    );
    expect(body.tables).toBeUndefined();
    // The rest of the portal still works for the visitor.
    const catalog = await fetch(
      `${portal.baseUrl}/api/catalog/entities/by-name/system/default/homelab-streaming`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(catalog.status).toBe(200);
  }, 60_000);
});
