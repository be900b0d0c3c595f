#!/usr/bin/env node
// Runs the homelab services, the device simulator and Backstage against the
// infrastructure that `homelab-infra exec` started (its addresses arrive in
// KAFKA_BROKERS, MQTT_URL, DATABASE_URL and TIMESCALE_URL). Prints one
// "ready" line once everything answers, and stops it all on Ctrl-C.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const logDir = process.env.HOMELAB_LOG_DIR ?? join(root, '.tools', 'logs');
mkdirSync(logDir, { recursive: true });

// One secret shared by energy-ws and the portal's token route, made fresh
// for each run unless the user brings their own.
const jwtSecret = process.env.JWT_SECRET ?? randomBytes(32).toString('hex');
const ports = {
  bridge: process.env.BRIDGE_OPS_PORT ?? '9101',
  sink: process.env.SINK_OPS_PORT ?? '9102',
  ws: process.env.ENERGY_WS_PORT ?? '8080',
  simulator: process.env.SIMULATOR_OPS_PORT ?? '9104',
  backend: process.env.BACKEND_PORT ?? '7007',
};

// `--portal=built` runs only the backend, serving packages/app/dist (what the
// end-to-end tests use); the default runs the frontend dev server on :3000.
const builtPortal = process.argv.includes('--portal=built');
const backendUrl = `http://localhost:${ports.backend}`;
const portalUrl = builtPortal ? backendUrl : 'http://localhost:3000';

const env = {
  ...process.env,
  JWT_SECRET: jwtSecret,
  ENERGY_WS_URL: `ws://localhost:${ports.ws}/ws/energy`,
  BACKEND_PORT: ports.backend,
  BACKEND_BASE_URL: backendUrl,
  APP_BASE_URL: portalUrl,
};

const yarn = join(root, 'bin', 'yarn');
const workspace = name => [yarn, 'workspace', name, 'start'];
const components = [
  { name: 'mqtt-kafka-bridge', cmd: workspace('mqtt-kafka-bridge'), env: { OPS_PORT: ports.bridge }, health: `http://127.0.0.1:${ports.bridge}/health` },
  { name: 'timescaledb-sink', cmd: workspace('timescaledb-sink'), env: { OPS_PORT: ports.sink }, health: `http://127.0.0.1:${ports.sink}/health` },
  { name: 'energy-ws', cmd: workspace('energy-ws'), env: { PORT: ports.ws }, health: `http://127.0.0.1:${ports.ws}/health` },
  { name: 'device-simulator', cmd: workspace('device-simulator'), env: { SIMULATOR_OPS_PORT: ports.simulator }, health: `http://127.0.0.1:${ports.simulator}/health` },
  builtPortal
    ? { name: 'backstage', cmd: workspace('backend'), health: `http://127.0.0.1:${ports.backend}/.backstage/health/v1/readiness`, page: backendUrl }
    : { name: 'backstage', cmd: [yarn, 'start'], health: `http://127.0.0.1:${ports.backend}/.backstage/health/v1/readiness`, page: 'http://127.0.0.1:3000' },
];

const children = [];
let stopping = false;

function start(component) {
  const logFile = join(logDir, `${component.name}.log`);
  const out = openSync(logFile, 'a');
  // A process group of its own, so stopping it also stops what it spawned.
  const child = spawn(component.cmd[0], component.cmd.slice(1), {
    cwd: root,
    env: { ...env, ...component.env },
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.on('exit', code => {
    if (!stopping) {
      console.error(`[dev] ${component.name} exited with code ${code}; see ${logFile}`);
      stop(1);
    }
  });
  children.push(child);
  console.log(`[dev] started ${component.name} (log: ${logFile})`);
}

async function answers(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.status < 500;
  } catch {
    return false;
  }
}

async function waitFor(component, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (const url of [component.health, component.page].filter(Boolean)) {
    while (!(await answers(url))) {
      if (stopping) return;
      if (Date.now() > deadline) {
        throw new Error(`${component.name} did not answer ${url} within ${timeoutMs / 1000} s; see ${join(logDir, component.name + '.log')}`);
      }
      await new Promise(r => setTimeout(r, 1000));
    }
  }
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  console.log('[dev] stopping');
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 15_000;
  for (const child of children) {
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 200));
    }
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // stopped cleanly
    }
  }
  process.exit(code);
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

try {
  // The bridge provisions the Kafka topics that the others refuse to start
  // without, so it goes first.
  const [bridge, ...rest] = components;
  start(bridge);
  await waitFor(bridge, 120_000);
  for (const component of rest) start(component);
  await Promise.all(rest.map(c => waitFor(c, 300_000)));
  console.log(
    `[dev] ready: portal ${portalUrl} (backend ${backendUrl}) · ` +
      `energy-ws ws://localhost:${ports.ws}/ws/energy · ` +
      `Kafka ${process.env.KAFKA_BROKERS} · MQTT ${process.env.MQTT_URL} · Ctrl-C stops everything`,
  );
} catch (e) {
  console.error(`[dev] ${e.message}`);
  await stop(1);
}
