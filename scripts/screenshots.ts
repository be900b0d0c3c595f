// Regenerates the README's images from the live demo: docs/screenshot.png
// (energy-ws's Live tab, every chart filled with the device simulator's
// readings) and docs/pipeline.png (the System's Pipeline tab with live
// numbers). Run it through scripts/screenshots.sh, which installs what is
// missing and builds the portal first, and runs it through tsx so that it
// shares the end-to-end tests' helpers (packages/e2e-tests/src).
//
// This process starts `homelab-infra exec` on a fresh set of servers (never
// the caller's KAFKA_BROKERS & co., whose data could hold test devices) and
// runs itself inside it with --inside. The inner run starts bin/dev's
// dev-stack with the built portal, drives Debian's Chromium and stops the
// stack; the outer one then checks that every process the run started is
// gone and that nothing listens on its ports any more.
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../packages/e2e-tests/src/browser';
import {
  DevStackPorts,
  devStackEnv,
  PIPELINE_STAGES,
} from '../packages/e2e-tests/src/devStack';
import { repoRoot as root } from '../packages/e2e-tests/src/portal';
import {
  cmdline,
  descendants,
  listeningSockets,
  Proc,
  processes,
} from '../packages/e2e-tests/src/processes';

const docsDir = join(root, 'docs');
const IMAGES = {
  live: join(docsDir, 'screenshot.png'),
  pipeline: join(docsDir, 'pipeline.png'),
};
const VIEWPORT = { width: 1400, height: 900 };
// The README shows these; a bigger file means a page we did not mean to take.
const MAX_IMAGE_BYTES = 400 * 1024;
// The shortest window the Live tab offers: the chart is full once the
// simulator has published for this long.
const WINDOW_MINUTES = 5;
// The simulator's own rate knob (rate_multiplier). At the homelab's real rate the
// five room sensors send every 5 minutes and the heat pump every 30 s, so a
// 5-minute window would show a dot per sensor; 10× gives each a line.
const SIMULATOR_RATE = process.env.SIMULATOR_RATE || '10';
const DEVICES: Record<string, string[]> = {
  energy: ['meter1', 'meter2'],
  heatpump: ['heatpump1'],
  temperature: ['sensor1', 'sensor2', 'sensor3', 'sensor4', 'sensor5'],
};
// Stages whose records-per-second the picture must show as a number.
const RATED_STAGES = ['devices', 'mqtt-kafka-bridge', 'kafka', 'energy-ws'];

const log = (line: string) => console.log(`[screenshots] ${line}`);

class Refusal extends Error {}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | false | undefined | Promise<T | false | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Refusal(`${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(1000);
  }
}

interface StartedProcess {
  pid: number;
  start: string;
  cmd: string;
}

/** A live process the run started, with what identifies it later. */
function started(p: Proc): StartedProcess {
  return { pid: p.pid, start: p.start, cmd: cmdline(p.pid).slice(0, 200) };
}

// ---------------------------------------------------------------- outer run

async function outer(): Promise<number> {
  const state = mkdtempSync(join(tmpdir(), 'screenshots-'));
  const stateFile = join(state, 'started.json');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SCREENSHOTS_STATE: stateFile,
  };
  // A fresh set of servers: data the caller's own servers hold (test
  // devices, old readings) must not end up in the README.
  for (const key of [
    'KAFKA_BROKERS',
    'MQTT_URL',
    'DATABASE_URL',
    'TIMESCALE_URL',
  ])
    delete env[key];
  const child = spawn(
    process.execPath,
    [
      join(root, 'packages/infra/bin/homelab-infra.mjs'),
      'exec',
      '--',
      process.execPath,
      // tsx's loader again, for the inner run of this same file.
      ...process.execArgv,
      __filename,
      '--inside',
    ],
    { cwd: root, env, stdio: 'inherit' },
  );
  // Ctrl-C reaches the whole foreground group; the inner run and
  // homelab-infra stop what they started, and we still check afterwards.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(signal, () => log(`${signal}: stopping the demo stack`));
  const code = await new Promise<number>(resolve =>
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
  );

  const problems = leftovers(stateFile);
  rmSync(state, { recursive: true, force: true });
  if (problems.length) {
    console.error(
      `[screenshots] the run left these behind (now killed):\n  ${problems.join(
        '\n  ',
      )}`,
    );
    return 1;
  }
  if (code !== 0) {
    console.error(`[screenshots] failed (exit code ${code}); see above`);
    return code;
  }
  for (const file of Object.values(IMAGES)) {
    const bytes = statSync(file).size;
    log(`${relative(root, file)}: ${Math.round(bytes / 1024)} KB`);
  }
  log('done; every process the run started has stopped');
  return 0;
}

/** What the inner run recorded and is still alive or listening; kills the processes. */
function leftovers(stateFile: string): string[] {
  let recorded: { ports: Record<string, number>; processes: StartedProcess[] };
  try {
    recorded = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    // The inner run stopped before the stack was up: homelab-infra and
    // dev-stack cleaned up after themselves, and there is nothing recorded.
    return [];
  }
  const problems: string[] = [];
  // Kafka, PostgreSQL and dev-stack's children take a few seconds after their parent returns.
  const deadline = Date.now() + 20_000;
  let alive;
  for (;;) {
    const live = new Set(
      processes()
        .filter(p => !p.zombie)
        .map(p => `${p.pid}/${p.start}`),
    );
    alive = recorded.processes.filter(p => live.has(`${p.pid}/${p.start}`));
    if (!alive.length || Date.now() > deadline) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
  for (const p of alive) {
    problems.push(`process ${p.pid}: ${p.cmd}`);
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  const listening = new Set(listeningSockets().map(l => l.port));
  for (const [name, port] of Object.entries(recorded.ports))
    if (listening.has(port)) problems.push(`${name} still listens on ${port}`);
  return problems;
}

// ---------------------------------------------------------------- inner run

async function inner(): Promise<number> {
  const { ports, env, logDir } = await devStackEnv({
    ...process.env,
    SIMULATOR_RATE,
  });
  const base = `http://localhost:${ports.BACKEND_PORT}`;

  log(
    `starting the demo stack (simulator at ${SIMULATOR_RATE}× the homelab's rates; logs in ${logDir})`,
  );
  const stack = spawn(
    process.execPath,
    [join(root, 'scripts/dev-stack.mjs'), '--portal=built'],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const echo = (chunk: Buffer) => {
    output += chunk;
    process.stdout.write(chunk);
  };
  stack.stdout.on('data', echo);
  stack.stderr.on('data', echo);
  const stackExited = new Promise(resolve => stack.once('exit', resolve));

  let browser: Browser | undefined;
  let interrupted = false;
  const stopAll = async () => {
    await browser?.close().catch(() => undefined);
    if (stack.exitCode === null && stack.signalCode === null) {
      log('stopping the demo stack');
      stack.kill('SIGINT');
      const stopped = await Promise.race([
        stackExited.then(() => true),
        sleep(40_000).then(() => false),
      ]);
      // dev-stack's reaper stops its children when dev-stack dies outright.
      if (!stopped) stack.kill('SIGKILL');
      await stackExited;
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(signal, () => {
      interrupted = true;
    });

  try {
    const readyAt = await until('the demo stack to be ready', 600_000, () => {
      if (interrupted) throw new Refusal('interrupted');
      if (stack.exitCode !== null)
        throw new Refusal(`dev-stack exited with code ${stack.exitCode}`);
      return output.includes('[dev] ready') ? Date.now() : undefined;
    });
    record(ports);

    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: VIEWPORT });
    // The sidebar folded to its icons (a user's own choice in Backstage),
    // so the pipeline table gets the width its nine columns need.
    await context.addInitScript(() =>
      window.localStorage.setItem('sidebarPinState', 'false'),
    );
    const live = await context.newPage();
    await open(
      live,
      `${base}/catalog/default/component/energy-ws/live`,
      '[data-testid="live-connection"]',
    );
    await live
      .locator('[data-testid="live-connection"][data-status="live"]')
      .waitFor({ timeout: 90_000 });
    await chooseWindow(live, WINDOW_MINUTES);

    // The chart is full once readings span the whole window: the simulator
    // started before dev-stack printed "ready".
    const fullAt = readyAt + WINDOW_MINUTES * 60_000 + 15_000;
    log(
      `waiting until ${new Date(fullAt)
        .toISOString()
        .slice(11, 19)} UTC for the ${WINDOW_MINUTES}-minute window to fill`,
    );
    await until(
      'the Live charts to fill',
      WINDOW_MINUTES * 60_000 + 180_000,
      async () => {
        if (interrupted) throw new Refusal('interrupted');
        if (stack.exitCode !== null)
          throw new Refusal(`dev-stack exited with code ${stack.exitCode}`);
        const missing = await missingLines(live);
        if (missing.length || Date.now() < fullAt) {
          if (Date.now() > fullAt) log(`no line yet for ${missing.join(', ')}`);
          return false;
        }
        return true;
      },
    );
    await shoot(live, '[data-testid="live-chart"]', IMAGES.live);
    log(`wrote ${relative(root, IMAGES.live)}`);

    // The Live tab stays open in its own page, so the browsers stage has a client.
    const pipeline = await context.newPage();
    await open(
      pipeline,
      `${base}/catalog/default/system/homelab-streaming/pipeline`,
      'tr[data-stage="devices"]',
    );
    await until(
      'every pipeline stage to show live numbers',
      180_000,
      async () => {
        if (interrupted) throw new Refusal('interrupted');
        return pipelineReady(pipeline);
      },
    );
    await shoot(
      pipeline,
      'table[aria-label="pipeline stages"]',
      IMAGES.pipeline,
    );
    log(`wrote ${relative(root, IMAGES.pipeline)}`);
    console.log(
      await pipeline.locator('table[aria-label="pipeline stages"]').innerText(),
    );

    for (const file of Object.values(IMAGES)) {
      const bytes = statSync(file).size;
      if (bytes > MAX_IMAGE_BYTES)
        throw new Refusal(
          `${relative(root, file)} is ${Math.round(
            bytes / 1024,
          )} KB, over the ${MAX_IMAGE_BYTES / 1024} KB the README allows`,
        );
    }
  } catch (e) {
    const error = e as Error;
    console.error(`[screenshots] refused: ${error.message}`);
    if (!(error instanceof Refusal)) console.error(error.stack);
    console.error(`[screenshots] service logs: ${logDir}`);
    await stopAll();
    return 1;
  }
  await stopAll();
  // The logs only matter when something went wrong.
  rmSync(logDir, { recursive: true, force: true });
  return 0;
}

/** Writes what the outer run must find stopped: every process below homelab-infra, and the ports. */
function record(ports: DevStackPorts) {
  const infraPorts = Object.fromEntries(
    [
      ['Kafka', process.env.KAFKA_BROKERS?.split(',')[0]?.split(':')[1]],
      ['Mosquitto', process.env.MQTT_URL && new URL(process.env.MQTT_URL).port],
      [
        'PostgreSQL',
        process.env.DATABASE_URL && new URL(process.env.DATABASE_URL).port,
      ],
      [
        'TimescaleDB',
        process.env.TIMESCALE_URL && new URL(process.env.TIMESCALE_URL).port,
      ],
    ]
      .filter(([, port]) => port)
      .map(([name, port]) => [name, Number(port)]),
  );
  const stack = descendants(process.ppid)
    .filter(p => p.pid !== process.pid)
    .map(started);
  const stateFile = process.env.SCREENSHOTS_STATE!;
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(
    stateFile,
    JSON.stringify({ ports: { ...infraPorts, ...ports }, processes: stack }),
  );
  log(
    `the demo stack is up: ${stack.length} processes, ports ${Object.values({
      ...infraPorts,
      ...ports,
    }).join(' ')}`,
  );
}

/** Opens `url` until `ready` shows, signing in as the guest when the sign-in page comes first. */
async function open(page: Page, url: string, ready: string) {
  await page.goto(url);
  const enter = page.getByRole('button', { name: 'Enter' });
  const content = page.locator(ready).first();
  await enter.or(content).first().waitFor({ timeout: 120_000 });
  if (await enter.isVisible()) {
    await enter.click();
    await content.waitFor({ timeout: 120_000 });
  }
}

/**
 * Saves the page from its top down to the end of `bottom`: the viewport
 * grows to hold it (Backstage scrolls its content in a box of its own, so a
 * full-page screenshot would stop at the viewport), then goes back.
 */
async function shoot(page: Page, bottom: string, file: string) {
  await page.setViewportSize({ width: VIEWPORT.width, height: 2000 });
  // Out of the way of the folded sidebar and the charts' tooltips.
  await page.mouse.move(VIEWPORT.width - 20, 20);
  await sleep(1000);
  const box = await page.locator(bottom).first().boundingBox();
  if (!box) throw new Refusal(`${bottom} is not on the page`);
  const height = Math.min(2000, Math.ceil(box.y + box.height + 24));
  await page.screenshot({
    path: file,
    clip: { x: 0, y: 0, width: VIEWPORT.width, height },
  });
  await page.setViewportSize(VIEWPORT);
}

/** Picks the Live tab's chart window (a Material UI select). */
async function chooseWindow(page: Page, minutes: number) {
  await page
    .locator('[data-testid="live-window"]')
    .locator('xpath=..')
    .locator('[role="button"]')
    .click();
  await page.locator(`li[role="option"][data-value="${minutes}"]`).click();
  await page
    .locator(`[data-testid="live-window"][value="${minutes}"]`)
    .waitFor({ state: 'attached', timeout: 10_000 });
}

/** The simulator's devices that have no line in their stream's chart yet. */
async function missingLines(page: Page): Promise<string[]> {
  const missing: string[] = [];
  for (const [stream, devices] of Object.entries(DEVICES)) {
    const lines =
      (await page
        .locator(`[data-testid="live-chart-${stream}"]`)
        .getAttribute('data-lines', { timeout: 5_000 })
        .catch(() => null)) ?? '';
    const names = lines.split('|').map(l => l.split(' ')[0]);
    for (const device of devices)
      if (!names.includes(device)) missing.push(device);
  }
  return missing;
}

/** Every stage shown and healthy, and the rated ones with a records-per-second figure. */
async function pipelineReady(page: Page): Promise<boolean> {
  const rows: Record<string, string> = {};
  for (const stage of PIPELINE_STAGES) {
    const row = page.locator(`tr[data-stage="${stage}"]`);
    if (!(await row.count())) return false;
    rows[stage] = await row.innerText();
  }
  const notReady = PIPELINE_STAGES.filter(s =>
    /not-ready|unknown/.test(rows[s]),
  );
  const unrated = RATED_STAGES.filter(s => !/\d\/s/.test(rows[s]));
  if (notReady.length || unrated.length) {
    log(
      `pipeline: waiting for ${[...new Set([...notReady, ...unrated])].join(
        ', ',
      )}`,
    );
    return false;
  }
  return true;
}

const run = process.argv.includes('--inside') ? inner : outer;
run().then(
  code => process.exit(code),
  error => {
    console.error(`[screenshots] ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
