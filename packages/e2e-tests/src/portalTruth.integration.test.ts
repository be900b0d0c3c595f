import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, screenshot, signInAsGuest, step } from './browser';
import { Stack, startStack } from './stack';

const run = promisify(execFile);

/** What the Kafka tab showed under concurrent refreshes of the shared kafkajs admin. */
const TOPIC_ERROR = /cannot read topic|high\.pop|low\.pop|Cannot destructure/;

/**
 * In a real Chromium on the real stack: the Kafka tab refreshed for
 * a minute in three tabs at once shows no topic error; the Dead letters tab
 * shows a letter this test caused; the Live tab draws a chart per stream;
 * the TimescaleDB tab shows a compression ratio once the local scheduler ran
 * the compression policy.
 */
describe('the portal tells the truth', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const base = () => stack.portal.baseUrl;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    context = await browser.newContext({
      viewport: { width: 1440, height: 1000 },
    });
    page = await context.newPage();
    await page.goto(`${base()}/?filters%5Bkind%5D=system`);
    await signInAsGuest(page);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 120_000);

  /** Reloads `url` until `probe` holds: a tab's first page can be cached for a few seconds. */
  async function reloadUntil(
    p: Page,
    url: string,
    probe: () => Promise<boolean>,
    what: string,
    timeoutMs = 90_000,
  ) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await p.goto(url);
      await p.waitForTimeout(3000);
      if (await probe().catch(() => false)) return;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}`);
    }
  }

  it('shows no topic error on the Kafka tabs over a minute of refreshes in three tabs at once', async () => {
    const entities = ['mqtt-kafka-bridge', 'timescaledb-sink', 'energy-ws'];
    const pages = [page, await context.newPage(), await context.newPage()];
    const errors: string[] = [];
    let rounds = 0;
    const deadline = Date.now() + 60_000;
    try {
      while (Date.now() < deadline) {
        const round = rounds;
        await Promise.all(
          pages.map(async (p, i) => {
            await p.goto(
              `${base()}/catalog/default/component/${entities[i]}/kafka`,
            );
            await p
              .getByText('homelab.energy')
              .first()
              .waitFor({ timeout: 60_000 });
            const text = await p.locator('main').innerText();
            const seen = text
              .split('\n')
              .filter(line => TOPIC_ERROR.test(line));
            errors.push(
              ...seen.map(line => `${entities[i]} round ${round}: ${line}`),
            );
          }),
        );
        rounds++;
      }
      await screenshot(pages[1], 'truth-01-kafka-after-a-minute');
    } finally {
      for (const p of pages.slice(1)) await p.close();
    }
    expect(errors).toEqual([]);
    expect(rounds).toBeGreaterThanOrEqual(3);
  }, 180_000);

  it('shows a dead letter this test caused, with its reason, device and payload', async () => {
    const device = `e2e-dlq-${randomBytes(3).toString('hex')}`;
    await stack.publish(`homelab/energy/${device}`, 'not json <b>bold</b>');
    const url = `${base()}/catalog/default/component/mqtt-kafka-bridge/dead-letters`;
    await step(page, 'truth-02-dead-letters', async () => {
      await reloadUntil(
        page,
        url,
        () => page.getByText(device, { exact: true }).first().isVisible(),
        `the letter of ${device}`,
      );
      const row = page.locator('tr', { hasText: device }).first();
      await row.getByText('not-json').first().waitFor();
      expect(await row.innerText()).toContain('not json <b>bold</b>');
      await page.getByText('Dead letters by reason class').waitFor();
    });
  }, 150_000);

  it('draws one chart per stream in the Live tab, each with its own units', async () => {
    const id = randomBytes(3).toString('hex');
    const [meter, heatpump, sensor] = [
      `e2e-meter-${id}`,
      `e2e-hp-${id}`,
      `e2e-room-${id}`,
    ];
    await page.goto(`${base()}/catalog/default/component/energy-ws/live`);
    await page
      .locator('[data-testid="live-connection"][data-status="live"]')
      .waitFor({ timeout: 60_000 });
    const lines = (stream: string) =>
      page
        .locator(`[data-testid="live-chart-${stream}"]`)
        .getAttribute('data-lines');
    await step(page, 'truth-03-live-per-stream', async () => {
      const deadline = Date.now() + 30_000;
      let charts: (string | null)[] = [];
      for (;;) {
        const now = Date.now();
        await stack.publish(`homelab/energy/${meter}`, {
          timestamp: new Date(now).toISOString(),
          power_kw: 2.5,
          voltage: 230,
        });
        await stack.publish(`homelab/heatpump/${heatpump}`, {
          device_id: heatpump,
          timestamp: Math.floor(now / 1000),
          d0: 4.5,
          d5: 35.2,
          d6: 30.1,
        });
        await stack.publish(`homelab/temperature/${sensor}`, {
          timestamp: new Date(now).toISOString(),
          temperature_c: 21.5,
          humidity_pct: 41,
        });
        await page.waitForTimeout(2000);
        charts = await Promise.all(
          ['energy', 'heatpump', 'temperature'].map(s =>
            lines(s).catch(() => null),
          ),
        );
        const [energy, hp, temperature] = charts;
        if (
          energy?.includes(meter) &&
          hp?.includes(heatpump) &&
          temperature?.includes(sensor)
        )
          break;
        if (Date.now() > deadline)
          throw new Error(
            `charts: energy=${energy} heatpump=${hp} temperature=${temperature}`,
          );
      }
      const [energy, hp, temperature] = charts;
      expect(energy).toContain(`${meter} power_kw (kW)`);
      expect(hp).toContain(
        `${heatpump} d5 flow temperature (°C)|${heatpump} d6 return temperature (°C)`,
      );
      expect(temperature).toContain(`${sensor} temperature_c (°C)`);
      // A sensor is never listed under a power field.
      expect(energy).not.toContain(sensor);
      expect(energy).not.toContain(heatpump);
    });
  }, 120_000);

  it('shows a real compression ratio in the TimescaleDB tab once the compression job ran', async () => {
    const psql = (sql: string) =>
      // pglite-socket does not answer psql's SSLRequest (psql would hang): plain TCP.
      run(
        'psql',
        [stack.infra.timescale, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql],
        {
          env: { ...process.env, PGSSLMODE: 'disable' },
          timeout: 60_000,
        },
      ).then(r => r.stdout.trim());
    // Last week's readings of a meter (older than the sink's compressAfter of 7 days), as a restored backup would hold.
    await psql(
      `INSERT INTO energy_readings (ts, device_id, received_at) SELECT t, 'e2e-history', t + interval '40 ms' FROM (SELECT now() - interval '8 days' - i * interval '1 minute' AS t FROM generate_series(0, 3 * 1440) i) s ON CONFLICT DO NOTHING`,
    );
    // Due now instead of in 12 h: what an operator does with TimescaleDB's own alter_job.
    const job = await psql(
      `SELECT j.job_id FROM timescaledb_information.jobs j WHERE j.proc_name = 'policy_compression' AND j.hypertable_name = 'energy_readings'`,
    );
    expect(job).toMatch(/^\d+$/);
    await psql(`SELECT alter_job(${job}, next_start => now())`);
    const url = `${base()}/catalog/default/component/timescaledb-sink/timescaledb`;
    await step(page, 'truth-04-timescaledb-compression', async () => {
      const card = page.locator('[data-testid="hypertable-energy_readings"]');
      await reloadUntil(
        page,
        url,
        async () =>
          /\d+\.\d×/.test(await card.innerText()) &&
          (await card.innerText()).includes('Success'),
        'a compression ratio and a successful compression job',
      );
      const text = await card.innerText();
      expect(text).toMatch(/COMPRESSION\s+\d+\.\d×/i);
      expect(text).not.toContain('4714');
      expect(text).toMatch(/ROWS \((EXACT|ESTIMATE|AT LEAST)\)/i);
    });
  }, 180_000);
});
