/**
 * Fan-out benchmark: N authenticated clients subscribed to every stream,
 * 10 records/s produced per stream, the server in its own process.
 *
 *   yarn workspace energy-ws bench                 # 1000 and 5000 clients
 *   BENCH_CLIENTS=5000 BENCH_SECONDS=30 yarn workspace energy-ws bench
 *   KAFKA_BROKERS=127.0.0.1:9092 ...               # reuse a running Kafka
 *
 * Prints deliveries/s, p50/p99/max latency from Kafka produce to client
 * receipt, and the server's RSS per connection.
 */
import { spawn, execSync, ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { WebSocket } from 'ws';
import { STREAMS } from '@homelab/plugin-streaming-common';
import {
  canonicalRecord,
  createTopics,
  mintToken,
  waitFor,
} from '../src/__testUtils__/testing';

const SECRET = 'bench-secret-0123456789abcdef0123456789';
const RATE_PER_STREAM = 10;
const counts = (process.env.BENCH_CLIENTS ?? process.argv[2] ?? '1000,5000')
  .split(',')
  .map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const root = path.resolve(__dirname, '..');

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return Number(match?.[1] ?? 0) * 1024;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .split(') ')[1]
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0
    ? NaN
    : sorted[
        Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
      ];
}

async function kafkaBrokers(): Promise<{
  brokers: string;
  stop: () => Promise<void>;
}> {
  if (process.env.KAFKA_BROKERS)
    return { brokers: process.env.KAFKA_BROKERS, stop: async () => undefined };
  const { startKafka } = await import('@homelab/infra');
  const kafka = await startKafka();
  return { brokers: kafka.bootstrap, stop: () => kafka.stop() };
}

function startServer(
  brokers: string,
  topics: Record<string, string>,
  maxConnections: number,
): Promise<{ child: ChildProcess; port: number }> {
  const file = path.join(
    mkdtempSync(path.join(tmpdir(), 'energy-ws-bench-')),
    'config.yaml',
  );
  writeFileSync(
    file,
    [
      'kafka:',
      `  brokers: "${brokers}"`,
      `  topics: { energy: "${topics.energy}", heatpump: "${topics.heatpump}", temperature: "${topics.temperature}" }`,
      `  group_id: "energy-ws-bench-${randomUUID().slice(0, 8)}"`,
      'server:',
      '  host: 127.0.0.1',
      '  port: 0',
      `  max_connections: ${maxConnections}`,
      'auth:',
      '  jwt_secret: "$(JWT_SECRET)"',
    ].join('\n'),
  );
  // `node --import tsx` (not the tsx CLI) so that child.pid is the server itself, for RSS and CPU.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ENERGY_WS_CONFIG: file,
      JWT_SECRET: SECRET,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', d => (out += d));
  return waitFor(
    () => {
      const port = /"port":(\d+)/.exec(out)?.[1];
      return port ? { child, port: Number(port) } : undefined;
    },
    60_000,
    'the server to listen',
  );
}

function openClient(
  url: string,
  onMessage: (data: Buffer) => void,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', onMessage);
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', streams: STREAMS }));
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

/** One record per stream, stamped with the send time for the latency figure. */
function benchMessages(topics: Record<string, string>, sequence: number) {
  return STREAMS.map(stream => ({
    topic: topics[stream],
    messages: [
      {
        key: 'bench',
        value: JSON.stringify(
          canonicalRecord(stream, 'bench', {
            value: sequence,
            bench_sent_ms: Date.now(),
          }),
        ),
      },
    ],
  }));
}

async function runOnce(brokers: string, clients: number) {
  const id = randomUUID().slice(0, 8);
  const topics = Object.fromEntries(
    STREAMS.map(s => [s, `bench.energy-ws.${id}.${s}`]),
  );
  const kafka = new Kafka({
    clientId: 'energy-ws-bench',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await createTopics(admin, Object.values(topics));
  const producer = kafka.producer();
  await producer.connect();
  const { child, port } = await startServer(brokers, topics, clients + 10);
  await waitFor(
    async () =>
      (
        await fetch(`http://127.0.0.1:${port}/health/ready`).catch(
          () => undefined,
        )
      )?.ok,
    60_000,
    'ready',
  );
  const baseline = rssBytes(child.pid!);

  const token = await mintToken(SECRET, { expiresInS: 3600 });
  const url = `ws://127.0.0.1:${port}/ws/energy?token=${token}`;
  const latencies = new Float64Array(
    Math.ceil(clients * RATE_PER_STREAM * STREAMS.length * (seconds + 5) * 1.2),
  );
  let received = 0;
  let measuring = false;
  const sockets: WebSocket[] = [];
  const connectStart = Date.now();
  const onMessage = (data: Buffer) => {
    if (!measuring) return;
    // A regex instead of JSON.parse keeps the client side from being the bottleneck.
    const sent = /"bench_sent_ms":(\d+)/.exec(data.toString('latin1'));
    if (sent && received < latencies.length)
      latencies[received++] = Date.now() - Number(sent[1]);
  };
  for (let i = 0; i < clients; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, clients - i) }, () =>
        openClient(url, onMessage),
      ),
    );
    sockets.push(...batch);
  }
  const connectMs = Date.now() - connectStart;
  await new Promise(r => setTimeout(r, 2000));
  const connected = rssBytes(child.pid!);

  measuring = true;
  const started = Date.now();
  const serverCpuStart = cpuSeconds(child.pid!);
  const benchCpuStart = process.cpuUsage();
  let produced = 0;
  const deadline = started + seconds * 1000;
  const tick = 1000 / RATE_PER_STREAM;
  for (let next = started; next < deadline; next += tick) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    await producer.sendBatch({
      topicMessages: benchMessages(topics, produced),
    });
    produced += STREAMS.length;
  }
  // Let in-flight deliveries land.
  await waitFor(
    () => received >= produced * clients || Date.now() - deadline > 5000,
    10_000,
  ).catch(() => undefined);
  const elapsed = (Date.now() - started) / 1000;
  const sorted = latencies.slice(0, received).sort();
  const peak = rssBytes(child.pid!);
  const serverCpu = (cpuSeconds(child.pid!) - serverCpuStart) / elapsed;
  const benchCpuUsage = process.cpuUsage(benchCpuStart);
  const benchCpu = (benchCpuUsage.user + benchCpuUsage.system) / 1e6 / elapsed;

  const metricsText = await (
    await fetch(`http://127.0.0.1:${port}/metrics`)
  ).text();
  const metricValue = (name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metricsText)?.[1]);
  const fanoutMeanMs =
    (1000 * metricValue('energy_ws_fanout_latency_seconds_sum')) /
    metricValue('energy_ws_fanout_latency_seconds_count');
  for (const ws of sockets) ws.terminate();
  child.kill('SIGTERM');
  await new Promise(r => child.once('exit', r));
  await producer.disconnect();
  await admin
    .deleteTopics({ topics: Object.values(topics) })
    .catch(() => undefined);
  await admin.disconnect();

  return {
    clients,
    connectSeconds: connectMs / 1000,
    produced,
    expectedDeliveries: produced * clients,
    deliveries: received,
    deliveriesPerSecond: Math.round(received / elapsed),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1],
    rssBaselineMiB: +(baseline / 2 ** 20).toFixed(1),
    rssConnectedMiB: +(connected / 2 ** 20).toFixed(1),
    rssPeakMiB: +(peak / 2 ** 20).toFixed(1),
    rssPerConnectionKiB: +((connected - baseline) / clients / 1024).toFixed(1),
    /** Cores used while producing: the server, and this process (clients + producer). */
    /** Server side only: Kafka produce → handed to every socket (mean). */
    serverFanoutMeanMs: +fanoutMeanMs.toFixed(1),
    serverCores: +serverCpu.toFixed(2),
    /** Load-independent cost: server CPU time per delivery. */
    serverMicrosPerDelivery: +(
      (serverCpu * elapsed * 1e6) /
      Math.max(1, received)
    ).toFixed(2),
    benchCores: +benchCpu.toFixed(2),
    loadAverage: os.loadavg()[0].toFixed(2),
  };
}

async function main() {
  const fdLimit = Number(execSync('sh -c "ulimit -n"').toString().trim());
  const needed = Math.max(...counts) + 200;
  if (fdLimit < needed) {
    console.error(
      `ulimit -n is ${fdLimit}; ${needed} file descriptors are needed per process. Raise it (ulimit -n ${
        needed * 2
      }) and re-run.`,
    );
    process.exit(1);
  }
  const { brokers, stop } = await kafkaBrokers();
  console.log(
    `energy-ws bench: ${RATE_PER_STREAM} msg/s per stream x ${STREAMS.length} streams, ${seconds} s per run, ulimit -n ${fdLimit}`,
  );
  try {
    for (const clients of counts) {
      const result = await runOnce(brokers, clients);
      console.log(JSON.stringify(result));
      console.log(
        `${clients} clients: ${result.deliveriesPerSecond} deliveries/s (${result.deliveries}/${result.expectedDeliveries}), ` +
          `latency p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms, ` +
          `server ${result.serverCores} cores (${result.serverMicrosPerDelivery} µs CPU/delivery), clients ${result.benchCores} cores, RSS ${result.rssBaselineMiB} → ${result.rssConnectedMiB} MiB (${result.rssPerConnectionKiB} KiB/connection), peak ${result.rssPeakMiB} MiB`,
      );
    }
  } finally {
    await stop();
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
