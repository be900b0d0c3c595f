import { Browser, Page } from 'playwright-core';
import { launchBrowser, signInAsGuest, step } from './browser';
import { PIPELINE_STAGES } from './devStack';
import { Stack, startStack } from './stack';

/**
 * The System's Pipeline tab in a real Chromium on the real stack: while
 * readings flow through Mosquitto, the bridge, Kafka, the sink and energy-ws,
 * the stages show rates that move; the simulator, which this stack does not
 * run, shows as unknown with its reason instead of 0.
 */
describe('the pipeline view', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let flowing: NodeJS.Timeout | undefined;
  let sent = 0;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
    await page.goto(`${stack.portal.baseUrl}/?filters%5Bkind%5D=system`);
    await signInAsGuest(page);
    // Two readings a second, as the homelab's meters send.
    const publish = () => {
      sent++;
      stack
        .publish(`homelab/energy/e2e-pipeline-meter`, {
          timestamp: new Date().toISOString(),
          power_kw: 1 + (sent % 10) / 10,
        })
        .catch(() => undefined);
    };
    flowing = setInterval(publish, 500);
  }, 600_000);

  afterAll(async () => {
    if (flowing) clearInterval(flowing);
    await browser?.close();
    await stack?.stop();
  }, 120_000);

  const row = (stage: string) => page.locator(`tr[data-stage="${stage}"]`);

  /** Opens `path`, signing in again if the guest session did not survive (a slow first load). */
  async function open(path: string, ready: string) {
    await page.goto(`${stack.portal.baseUrl}${path}`);
    const enter = page.getByRole('button', { name: 'Enter' });
    await enter.or(page.locator(ready)).first().waitFor({ timeout: 90_000 });
    if (await enter.isVisible()) {
      await enter.click();
      await page.locator(ready).first().waitFor({ timeout: 90_000 });
    }
  }

  /** A rate cell's text once it holds a number, e.g. "2.00/s". */
  async function rateText(stage: string, column: number): Promise<string> {
    return (await row(stage).locator('td').nth(column).innerText()).trim();
  }

  it('shows every stage with numbers that move, and the missing simulator as unknown', async () => {
    await step(page, 'pipeline-view', async () => {
      await open(
        '/catalog/default/system/homelab-streaming/pipeline',
        'tr[data-stage="devices"]',
      );
      for (const stage of PIPELINE_STAGES)
        await row(stage).waitFor({ timeout: 90_000 });

      // The bridge's rate in becomes a positive number once two scrapes saw messages.
      await page.waitForFunction(
        () => {
          const cell = document.querySelector(
            'tr[data-stage="mqtt-kafka-bridge"] td:nth-child(3)',
          );
          const m = /([\d.]+)\/s/.exec(cell?.textContent ?? '');
          return m !== null && Number(m[1]) > 0;
        },
        undefined,
        { timeout: 90_000 },
      );
      await page.waitForFunction(
        () =>
          /\/s/.test(
            document.querySelector(
              'tr[data-stage="timescaledb-sink"] td:nth-child(3)',
            )?.textContent ?? '',
          ),
        undefined,
        { timeout: 90_000 },
      );
      expect(
        await row('mqtt-kafka-bridge').locator('td').nth(1).innerText(),
      ).toContain('ready');

      // The view refreshes by itself: the figures change while readings flow.
      const before = await page
        .locator('table[aria-label="pipeline stages"]')
        .innerText();
      await page.waitForFunction(
        previous =>
          document.querySelector('table[aria-label="pipeline stages"]')
            ?.textContent !== previous,
        await page.locator('table[aria-label="pipeline stages"]').textContent(),
        { timeout: 30_000 },
      );
      const after = await page
        .locator('table[aria-label="pipeline stages"]')
        .innerText();
      expect(after).not.toEqual(before);

      // Nothing listens on the simulator's port in this stack: unknown with the reason, not 0.
      const devices = await row('devices').innerText();
      expect(devices).toMatch(/unknown/);
      expect(devices).toMatch(/connection refused/);
      expect(await rateText('devices', 3)).not.toMatch(/^0/);
      // Kafka shows its records' rate from the high watermarks.
      await page.waitForFunction(
        () =>
          /[\d.]+\/s/.test(
            document.querySelector('tr[data-stage="kafka"] td:nth-child(3)')
              ?.textContent ?? '',
          ),
        undefined,
        { timeout: 60_000 },
      );
      console.log(`pipeline view after ${sent} readings:\n${after}`);
    });
  }, 300_000);

  it("shows the sink's own stage on its page", async () => {
    await step(page, 'pipeline-view-card', async () => {
      await open(
        '/catalog/default/component/timescaledb-sink',
        '[data-stage="timescaledb-sink"]',
      );
      await page
        .getByText('Pipeline stage')
        .first()
        .waitFor({ timeout: 60_000 });
      const card = page.locator('[data-stage="timescaledb-sink"]');
      await card.getByText(/\/s/).first().waitFor({ timeout: 60_000 });
      expect(
        await page.locator('[data-stage="mqtt-kafka-bridge"]').count(),
      ).toBe(0);
    });
  }, 120_000);
});
