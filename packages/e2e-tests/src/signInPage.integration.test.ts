import { Browser } from 'playwright-core';
import { launchBrowser, screenshot, step } from './browser';
import { freePort, Portal, startPortal } from './portal';

const databaseUrl = process.env.DATABASE_URL;

/**
 * The sign-in page a deployment shows: OIDC (as app-config.production.yaml
 * configures it), and no guest button. The identity provider here is a
 * closed port; what matters is what the page offers and that the backend
 * starts with the provider configured.
 */
describe('the sign-in page of a deployment', () => {
  let portal: Portal;
  let browser: Browser;

  beforeAll(async () => {
    if (!databaseUrl) {
      throw new Error(
        'DATABASE_URL is not set: run the tests through bin/test',
      );
    }
    const idp = `http://127.0.0.1:${await freePort()}`;
    portal = await startPortal({
      databaseUrl,
      extraConfig: [
        'auth:',
        '  environment: production',
        '  session:',
        '    secret: e2e-session-secret',
        '  providers:',
        '    oidc:',
        '      production:',
        `        metadataUrl: ${idp}/.well-known/openid-configuration`,
        '        clientId: homelab-portal',
        '        clientSecret: e2e-client-secret',
        '        prompt: auto',
        '        signIn:',
        '          resolvers:',
        '            - resolver: emailMatchingUserEntityProfileEmail',
      ].join('\n'),
    });
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('offers single sign-on and no guest entry', async () => {
    const page = await browser.newPage();
    try {
      await step(page, 'sign-in-01-oidc', async () => {
        await page.goto(`${portal.baseUrl}/`);
        await page
          .getByText('Single sign-on')
          .first()
          .waitFor({ timeout: 60_000 });
        await page
          .getByText("Sign in with your homelab's identity provider")
          .first()
          .waitFor();
        expect(await page.getByRole('button', { name: 'Enter' }).count()).toBe(
          0,
        );
        await screenshot(page, 'sign-in-01-oidc');
      });
    } finally {
      await page.close();
    }
  }, 120_000);

  it('still refuses the APIs without a sign-in', async () => {
    const res = await fetch(
      `${portal.baseUrl}/api/streaming/entities/component/default/energy-ws/live/token`,
    );
    expect(res.status).toBe(401);
  });
});
