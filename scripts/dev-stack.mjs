#!/usr/bin/env node
// Runs the homelab services, the device simulator and Backstage against the
// infrastructure that `homelab-infra exec` started (its addresses arrive in
// KAFKA_BROKERS, MQTT_URL, DATABASE_URL and TIMESCALE_URL). Prints one
// "ready" line once everything answers, and stops it all on Ctrl-C (a
// second Ctrl-C kills at once); if this process is killed outright,
// dev-stack-reaper.mjs stops the children instead.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const logDir = process.env.HOMELAB_LOG_DIR ?? join(root, '.tools', 'logs');
mkdirSync(logDir, { recursive: true });

// One secret shared by energy-ws and the portal's token route, made fresh
// for each run unless the user brings their own.
const jwtSecret = process.env.JWT_SECRET ?? randomBytes(32).toString('hex');
// Every listener the stack starts stays on loopback unless the user names
// another address: the demo signs everyone in as guest.
const host = process.env.HOMELAB_HOST || '127.0.0.1';
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

// Guest sign-in lives only in app-config.local-stack.yaml, which only the
// local stack loads; a user's own app-config.local.yaml still applies.
const configArgs = [
  'app-config.yaml',
  'app-config.local-stack.yaml',
  'app-config.local.yaml',
]
  .map(f => join(root, f))
  .filter(existsSync)
  .flatMap(f => ['--config', f]);

const env = {
  ...process.env,
  JWT_SECRET: jwtSecret,
  ENERGY_WS_URL: `ws://localhost:${ports.ws}/ws/energy`,
  BACKEND_PORT: ports.backend,
  BACKEND_BASE_URL: backendUrl,
  APP_BASE_URL: portalUrl,
  BACKEND_HOST: host,
};

const yarn = join(root, 'bin', 'yarn');
const workspace = name => [yarn, 'workspace', name, 'start'];
// Health checks dial the bound address; 0.0.0.0 or :: answer on loopback.
const probe = ['0.0.0.0', '::', ''].includes(host)
  ? '127.0.0.1'
  : host.includes(':')
  ? `[${host}]`
  : host;
const components = [
  {
    name: 'mqtt-kafka-bridge',
    cmd: workspace('mqtt-kafka-bridge'),
    env: { OPS_HOST: host, OPS_PORT: ports.bridge },
    health: `http://${probe}:${ports.bridge}/health`,
  },
  {
    name: 'timescaledb-sink',
    cmd: workspace('timescaledb-sink'),
    env: {
      OPS_HOST: host,
      OPS_PORT: ports.sink,
      // Short chunks so the local job scheduler compresses real data within minutes.
      SINK_CHUNK_INTERVAL: process.env.SINK_CHUNK_INTERVAL ?? '5 minutes',
      SINK_COMPRESS_AFTER: process.env.SINK_COMPRESS_AFTER ?? '10 minutes',
    },
    health: `http://${probe}:${ports.sink}/health`,
  },
  {
    name: 'energy-ws',
    cmd: workspace('energy-ws'),
    env: { HOST: host, OPS_PORT: ports.ws },
    health: `http://${probe}:${ports.ws}/health`,
  },
  {
    name: 'device-simulator',
    cmd: workspace('device-simulator'),
    env: { OPS_HOST: host, OPS_PORT: ports.simulator },
    health: `http://${probe}:${ports.simulator}/health`,
  },
  builtPortal
    ? {
        name: 'backstage',
        cmd: [...workspace('backend'), ...configArgs],
        health: `http://${probe}:${ports.backend}/.backstage/health/v1/readiness`,
        page: backendUrl,
      }
    : {
        name: 'backstage',
        cmd: [yarn, 'start', ...configArgs],
        health: `http://${probe}:${ports.backend}/.backstage/health/v1/readiness`,
        page: 'http://127.0.0.1:3000',
      },
];

const children = [];
let stopping = false;

// Outlives us in a group of its own and stops the children if we die
// without stopping them (SIGKILL, a crash).
const reaper = spawn(
  process.execPath,
  [join(root, 'scripts', 'dev-stack-reaper.mjs')],
  {
    detached: true,
    stdio: [
      'pipe',
      'ignore',
      openSync(join(logDir, 'dev-stack-reaper.log'), 'a'),
    ],
  },
);
reaper.unref();
reaper.stdin.on('error', () => undefined);

const signalGroups = signal => {
  for (const child of children) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
};

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
      console.error(
        `[dev] ${component.name} exited with code ${code}; see ${logFile}`,
      );
      stop(1);
    }
  });
  children.push(child);
  reaper.stdin.write(`+${child.pid}\n`);
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
        throw new Error(
          `${component.name} did not answer ${url} within ${
            timeoutMs / 1000
          } s; see ${join(logDir, component.name + '.log')}`,
        );
      }
      await new Promise(r => setTimeout(r, 1000));
    }
  }
}

function exit(code) {
  reaper.stdin.end('done\n', () => process.exit(code));
  // Never hang on a reaper that stopped reading.
  setTimeout(() => process.exit(code), 2000).unref();
}

async function stop(code) {
  if (stopping) {
    // A second Ctrl-C (or SIGTERM) means now: no more waiting for anyone.
    console.log('[dev] killing');
    signalGroups('SIGKILL');
    exit(code);
    return;
  }
  stopping = true;
  console.log('[dev] stopping (Ctrl-C again to kill at once)');
  signalGroups('SIGTERM');
  const deadline = Date.now() + 15_000;
  for (const child of children) {
    while (
      child.exitCode === null &&
      child.signalCode === null &&
      Date.now() < deadline
    ) {
      await new Promise(r => setTimeout(r, 200));
    }
  }
  // Whatever a child left behind in its group goes too.
  signalGroups('SIGKILL');
  exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => stop(0));

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
