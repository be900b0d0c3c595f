import { randomBytes } from 'node:crypto';
import { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot, signInAsGuest, step } from './browser';
import type { Portal } from './portal';
import type { RunningService } from './services';
import { Stack, startStack } from './stack';

/**
 * The whole pipeline in a real Chromium: a reading published with
 * mosquitto_pub travels through the bridge, Kafka and energy-ws into the Live
 * tab; the Kafka, TimescaleDB, Docs and API tabs show the running system.
 */
describe('the homelab pipeline in the portal', () => {
  let stack: Stack;
  let energyWs: RunningService;
  let portal: Portal;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack();
    ({ energyWs, portal } = stack);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(`${portal.baseUrl}/?filters%5Bkind%5D=system`);
    await signInAsGuest(page);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 120_000);

  const publish = (device: string, payload: object) =>
    stack.publish(`homelab/energy/${device}`, payload);

  const connectionIs = (status: string) =>
    page.locator(`[data-testid="live-connection"][data-status="${status}"]`);

  async function chartPoints(device: string): Promise<number> {
    const attr =
      (await page
        .locator('[data-testid="live-chart"]')
        .getAttribute('data-points')) ?? '';
    const entry = attr.split(',').find(e => e.startsWith(`${device}:`));
    return entry ? Number(entry.split(':')[1]) : 0;
  }

  async function waitForPoints(
    device: string,
    count: number,
    timeoutMs: number,
  ) {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    while (Date.now() < deadline) {
      seen = await chartPoints(device);
      if (seen >= count) return seen;
      await page.waitForTimeout(200);
    }
    throw new Error(
      `chart shows ${seen} points of ${device}, expected ${count}`,
    );
  }

  it('lists the system in the catalog', async () => {
    await step(page, 'pipeline-01-catalog', async () => {
      await page
        .getByRole('link', { name: /homelab streaming/i })
        .first()
        .waitFor({ timeout: 60_000 });
    });
  }, 90_000);

  it('shows a value published with mosquitto_pub in the Live tab within 2 s', async () => {
    await page.goto(
      `${portal.baseUrl}/catalog/default/component/energy-ws/live`,
    );
    await connectionIs('live').waitFor({ timeout: 60_000 });
    const device = `e2e-meter-${randomBytes(3).toString('hex')}`;
    const sentAt = Date.now();
    await publish(device, {
      timestamp: new Date().toISOString(),
      power_kw: 4.321,
      voltage: 231,
    });
    const cell = page.locator(`[data-testid="live-value-${device}-power_kw"]`);
    await cell.waitFor({ timeout: 2_000 });
    console.log(`mosquitto_pub → Live tab: ${Date.now() - sentAt} ms`);
    expect(await cell.textContent()).toContain('4.321');
    await screenshot(page, 'pipeline-02-live-value');
  }, 120_000);

  it('reconnects after energy-ws restarts, with no gap in the chart', async () => {
    const device = `e2e-gap-${randomBytes(3).toString('hex')}`;
    const start = Date.now();
    let sent = 0;
    const next = () =>
      publish(device, {
        // One second apart, so the chart keeps every point.
        timestamp: new Date(start + sent++ * 1000).toISOString(),
        power_kw: 1 + sent / 10,
      });
    for (let i = 0; i < 3; i++) await next();
    await waitForPoints(device, 3, 15_000);

    await energyWs.kill();
    await connectionIs('reconnecting').waitFor({ timeout: 30_000 });
    await screenshot(page, 'pipeline-03-reconnecting');
    // Published while energy-ws is down: they wait in Kafka.
    for (let i = 0; i < 3; i++) await next();

    await energyWs.restart();
    await connectionIs('live').waitFor({ timeout: 60_000 });
    for (let i = 0; i < 2; i++) await next();
    expect(await waitForPoints(device, sent, 30_000)).toBe(sent);
    await screenshot(page, 'pipeline-04-live-again');
  }, 240_000);

  it('shows the consumer groups and their lag in the Kafka tab', async () => {
    await step(page, 'pipeline-05-kafka-sink', async () => {
      await page.goto(
        `${portal.baseUrl}/catalog/default/component/timescaledb-sink/kafka`,
      );
      await page
        .getByText('timescaledb-energy')
        .first()
        .waitFor({ timeout: 60_000 });
    });
    await step(page, 'pipeline-06-kafka-energy-ws', async () => {
      await page.goto(
        `${portal.baseUrl}/catalog/default/component/energy-ws/kafka`,
      );
      await page
        .getByText('energy-ws', { exact: true })
        .first()
        .waitFor({ timeout: 60_000 });
    });
  }, 150_000);

  it('shows energy_readings in the TimescaleDB tab', async () => {
    await step(page, 'pipeline-07-timescaledb', async () => {
      await page.goto(
        `${portal.baseUrl}/catalog/default/component/timescaledb-sink/timescaledb`,
      );
      await page
        .getByText('energy_readings')
        .first()
        .waitFor({ timeout: 60_000 });
    });
  }, 90_000);

  it('renders a TechDocs page', async () => {
    await step(page, 'pipeline-08-techdocs', async () => {
      await page.goto(
        `${portal.baseUrl}/docs/default/system/homelab-streaming`,
      );
      // The backend builds the site with mkdocs on first view; the page's
      // own text (in the reader's shadow DOM) shows once that is done.
      await page
        .getByText(/IoT data pipeline and the Backstage portal/)
        .first()
        .waitFor({ timeout: 180_000 });
      await page.getByRole('link', { name: 'Kafka topics' }).first().waitFor();
    });
  }, 240_000);

  it('renders an AsyncAPI definition in the API tab', async () => {
    await step(page, 'pipeline-09-asyncapi', async () => {
      await page.goto(
        `${portal.baseUrl}/catalog/default/api/energy-ws-protocol/definition`,
      );
      await page.getByText('/ws/energy').first().waitFor({ timeout: 60_000 });
    });
  }, 90_000);
});
