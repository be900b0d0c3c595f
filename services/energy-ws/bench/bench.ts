/**
 * Fan-out benchmark: N authenticated clients subscribed to every stream,
 * 10 records/s produced per stream, the server in its own process and the
 * clients in bench client processes of their own (bench/clients.ts).
 *
 *   yarn workspace energy-ws bench                    # 5,000 then 20,000 clients
 *   BENCH_CLIENTS=5000 BENCH_SECONDS=30 yarn workspace energy-ws bench
 *   KAFKA_BROKERS=127.0.0.1:9092 ...                  # reuse a running Kafka
 *   BENCH_CPU_PROF=/tmp/prof ...                      # server CPU profile (--cpu-prof)
 *   BENCH_ALLOW_BUSY=1 ...                            # measure on a busy machine anyway
 *
 * Prints, per client count: deliveries/s, p50/p99/max latency from the
 * producer's send to the client's receipt, the server's CPU per delivery and
 * deliveries/s per server core beside the bench clients' own CPU cost, the
 * server's write syscalls per delivery, and its RSS per connection.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { STREAMS } from '@homelab/pipeline-contracts';
import { checkQuietMachine, reportLoadAtEnd } from '@homelab/infra';
import { mintToken } from '../src/__testUtils__/testing';
import { canonicalRecord, eventually } from '@homelab/test-kit';
import { createTopics, deleteTopics } from '@homelab/test-kit/kafka';

const NAME = 'energy-ws';
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const RATE_PER_STREAM = Number(process.env.BENCH_RATE_PER_STREAM ?? 10);
const counts = (process.env.BENCH_CLIENTS ?? process.argv[2] ?? '5000,20000')
  .split(',')
  .map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
/**
 * Clients per bench client process; 20,000 clients need several under a
 * 20,000-descriptor limit. Children share this process's hard limit, and each
 * keeps 100 descriptors for Node's own.
 */
const perProcess = Math.min(
  Number(process.env.BENCH_CLIENTS_PER_PROCESS ?? 5000),
  fdLimits('self').hard - 100,
);
const cpuProfileDir = process.env.BENCH_CPU_PROF;
const root = path.resolve(__dirname, '..');
/**
 * Children start through sh so that each raises its soft descriptor limit to
 * the hard one: 5,000+ sockets do not fit the usual default of 1,024. Where
 * that fails they keep the soft limit, and the server's clients are capped
 * to it (runOnce says so).
 */
const RAISE_FD_LIMIT = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';

function procStatus(pid: number, field: string): number {
  const match = new RegExp(`${field}:\\s+(\\d+)`).exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return Number(match?.[1] ?? 0);
}

const rssBytes = (pid: number) => procStatus(pid, 'VmRSS') * 1024;

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .split(') ')[1]
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** write/writev/sendmsg calls so far: how well the server coalesces its sends. */
function writeSyscalls(pid: number): number {
  return Number(
    /syscw: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0,
  );
}

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function fdLimits(pid: number | 'self'): { soft: number; hard: number } {
  const line = /Max open files\s+(\S+)\s+(\S+)/.exec(
    readFileSync(`/proc/${pid}/limits`, 'utf8'),
  );
  const parse = (v?: string) => (v === 'unlimited' ? Infinity : Number(v));
  return { soft: parse(line?.[1]), hard: parse(line?.[2]) };
}

/** Nearest-rank percentile over a histogram of [ms, count] buckets, sorted by ms. */
function percentile(
  buckets: Array<[number, number]>,
  total: number,
  p: number,
) {
  if (total === 0) return NaN;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const [ms, count] of buckets) {
    seen += count;
    if (seen >= rank) return ms;
  }
  return buckets[buckets.length - 1][0];
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

function spawnNode(args: string[], options: Parameters<typeof spawn>[2]) {
  // `node --import tsx` (not the tsx CLI), exec'd by sh, so that child.pid is
  // the Node process itself, for RSS, CPU and descriptors.
  return spawn(
    '/bin/sh',
    ['-c', RAISE_FD_LIMIT, process.execPath, '--import', 'tsx', ...args],
    { cwd: root, ...options },
  );
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
      `  groupId: "energy-ws-bench-${randomUUID().slice(0, 8)}"`,
      'server:',
      '  host: 127.0.0.1',
      '  port: 0',
      `  maxConnections: ${maxConnections}`,
      'auth:',
      '  jwtSecret: "$(JWT_SECRET)"',
    ].join('\n'),
  );
  const profile = cpuProfileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`]
    : [];
  const child = spawnNode([...profile, 'src/main.ts'], {
    env: {
      ...process.env,
      CONFIG_FILE: file,
      JWT_SECRET: SECRET,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', d => (out += d));
  return eventually(
    'the server to listen',
    () => {
      const port = /"port":(\d+)/.exec(out)?.[1];
      return port ? { child, port: Number(port) } : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 20 },
  );
}

interface ClientReport {
  received: number;
  histogram: Array<[number, number]>;
}

/** One bench client process and a request/answer channel to it. */
class ClientProcess {
  readonly child: ChildProcess;
  private answers: Array<(answer: any) => void> = [];

  constructor() {
    this.child = spawnNode(['bench/clients.ts'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', answer => this.answers.shift()?.(answer));
  }

  private ask<T>(command: object): Promise<T> {
    return new Promise((resolve, reject) => {
      this.answers.push(answer =>
        answer.error ? reject(new Error(answer.error)) : resolve(answer),
      );
      this.child.send(command);
    });
  }

  open(url: string, count: number) {
    return this.ask<{ opened: number }>({ cmd: 'open', url, count });
  }

  measure() {
    this.child.send({ cmd: 'measure' });
  }

  count() {
    return this.ask<{ received: number }>({ cmd: 'count' });
  }

  report() {
    return this.ask<ClientReport>({ cmd: 'report' });
  }

  async stop() {
    const exited = new Promise(r => this.child.once('exit', r));
    this.child.disconnect();
    await exited;
  }
}

function benchMessages(topics: Record<string, string>, sequence: number) {
  // One record per stream, stamped with the send time for the latency figure.
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

async function runOnce(brokers: string, requested: number) {
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
  const { child, port } = await startServer(brokers, topics, requested + 10);
  const pid = child.pid!;
  const workers: ClientProcess[] = [];
  try {
    await eventually(
      'ready',
      async () =>
        (
          await fetch(`http://127.0.0.1:${port}/health/ready`).catch(
            () => undefined,
          )
        )?.ok,
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    const baseline = rssBytes(pid);

    // Each client is one descriptor in the server, besides the ones it holds
    // already (Kafka, listeners, Node's own). Past its hard limit, accept()
    // fails and clients would hang, so the run says so and measures the most
    // that fit instead.
    const serverFds = openFiles(pid);
    const { soft: serverLimit } = fdLimits(pid);
    const headroom = 20;
    const clients = Math.min(requested, serverLimit - serverFds - headroom);
    if (clients < requested)
      console.warn(
        `[${NAME}] ${requested} clients need ${
          requested + serverFds + headroom
        } descriptors in the server ` +
          `(${serverFds} open before any client, ${headroom} spare); its limit is ${serverLimit} and only ` +
          `a process with CAP_SYS_RESOURCE can raise the hard limit. Measuring ${clients} clients instead.`,
      );

    const token = await mintToken(SECRET, { expiresInS: 3600 });
    const url = `ws://127.0.0.1:${port}/ws/energy?token=${token}`;
    const connectStart = Date.now();
    for (let opened = 0; opened < clients; opened += perProcess) {
      const worker = new ClientProcess();
      workers.push(worker);
      // One process after the other: the server caps connections still
      // authenticating, and a wave from every process at once would pass it.
      await worker.open(url, Math.min(perProcess, clients - opened));
    }
    const connectMs = Date.now() - connectStart;
    await new Promise(r => setTimeout(r, 2000));
    const connected = rssBytes(pid);

    for (const worker of workers) worker.measure();
    const started = Date.now();
    const serverCpuStart = cpuSeconds(pid);
    const serverWritesStart = writeSyscalls(pid);
    const clientCpuStart = workers.map(w => cpuSeconds(w.child.pid!));
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
    // Let in-flight deliveries land: up to 30 s for a server that fell behind.
    const expected = produced * clients;
    for (;;) {
      const landed = (await Promise.all(workers.map(w => w.count()))).reduce(
        (sum, c) => sum + c.received,
        0,
      );
      if (landed >= expected || Date.now() - deadline > 30_000) break;
      await new Promise(r => setTimeout(r, 200));
    }
    const elapsed = (Date.now() - started) / 1000;
    const serverCpu = cpuSeconds(pid) - serverCpuStart;
    const serverWrites = writeSyscalls(pid) - serverWritesStart;
    const clientCpu = workers.reduce(
      (sum, w, i) => sum + cpuSeconds(w.child.pid!) - clientCpuStart[i],
      0,
    );
    const peak = rssBytes(pid);

    const reports = await Promise.all(workers.map(w => w.report()));
    const merged = new Map<number, number>();
    for (const report of reports)
      for (const [ms, count] of report.histogram)
        merged.set(ms, (merged.get(ms) ?? 0) + count);
    const buckets = [...merged.entries()].sort((a, b) => a[0] - b[0]);
    const received = reports.reduce((sum, r) => sum + r.received, 0);

    const metricsText = await (
      await fetch(`http://127.0.0.1:${port}/metrics`)
    ).text();
    const metricValue = (name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metricsText)?.[1]);
    const fanoutMeanMs =
      (1000 * metricValue('energy_ws_fanout_latency_seconds_sum')) /
      metricValue('energy_ws_fanout_latency_seconds_count');
    const perDelivery = (x: number) => x / Math.max(1, received);

    return {
      requestedClients: requested,
      clients,
      clientProcesses: workers.length,
      connectSeconds: connectMs / 1000,
      produced,
      expectedDeliveries: expected,
      deliveries: received,
      deliveriesPerSecond: Math.round(received / elapsed),
      p50Ms: percentile(buckets, received, 50),
      p99Ms: percentile(buckets, received, 99),
      maxMs: buckets.length ? buckets[buckets.length - 1][0] : NaN,
      /** Server side only: Kafka record timestamp → handed to every socket (mean). */
      serverFanoutMeanMs: +fanoutMeanMs.toFixed(1),
      /** Clients the server cut off for not reading fast enough: their records are not lost to a real client, which resumes. */
      slowConsumerDisconnects:
        metricValue('energy_ws_slow_consumer_disconnects_total') || 0,
      serverCores: +(serverCpu / elapsed).toFixed(2),
      /** Load-independent cost: server CPU time per delivery. */
      serverMicrosPerDelivery: +perDelivery(serverCpu * 1e6).toFixed(2),
      /** What one fully used server core delivers at this cost. */
      deliveriesPerServerCoreSecond: Math.round(
        received / Math.max(serverCpu, 0.01),
      ),
      serverWritesPerDelivery: +perDelivery(serverWrites).toFixed(3),
      /** The bench clients' own cost, on the same cores as the server. */
      clientCores: +(clientCpu / elapsed).toFixed(2),
      clientMicrosPerDelivery: +perDelivery(clientCpu * 1e6).toFixed(2),
      rssBaselineMiB: +(baseline / 2 ** 20).toFixed(1),
      rssConnectedMiB: +(connected / 2 ** 20).toFixed(1),
      rssPeakMiB: +(peak / 2 ** 20).toFixed(1),
      rssPerConnectionKiB: +((connected - baseline) / clients / 1024).toFixed(
        1,
      ),
    };
  } finally {
    await Promise.all(workers.map(w => w.stop()));
    child.kill('SIGTERM');
    await new Promise(r => child.once('exit', r));
    await producer.disconnect();
    await deleteTopics(admin, Object.values(topics));
    await admin.disconnect();
  }
}

async function main() {
  const machine = checkQuietMachine(NAME);
  const { brokers, stop } = await kafkaBrokers();
  console.log(
    `[${NAME}] ${RATE_PER_STREAM} records/s per stream x ${STREAMS.length} streams, ${seconds} s per run, ` +
      `up to ${perProcess} clients per bench client process, descriptor limit ${
        fdLimits('self').hard
      }`,
  );
  try {
    for (const requested of counts) {
      const r = await runOnce(brokers, requested);
      console.log(JSON.stringify(r));
      console.log(
        `${r.clients} clients${
          r.clients < requested ? ` (of ${requested} requested)` : ''
        }: ` +
          `${r.deliveriesPerSecond} deliveries/s (${r.deliveries}/${r.expectedDeliveries}), ` +
          `latency p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms, ${r.slowConsumerDisconnects} cut off as slow; ` +
          `server ${r.serverCores} cores, ${r.serverMicrosPerDelivery} µs CPU/delivery = ` +
          `${r.deliveriesPerServerCoreSecond} deliveries/s per server core, ${r.serverWritesPerDelivery} writes/delivery; ` +
          `bench clients ${r.clientCores} cores in ${r.clientProcesses} processes (${r.clientMicrosPerDelivery} µs CPU/delivery); ` +
          `RSS ${r.rssBaselineMiB} → ${r.rssConnectedMiB} MiB (${r.rssPerConnectionKiB} KiB/connection), peak ${r.rssPeakMiB} MiB`,
      );
    }
  } finally {
    await stop();
    reportLoadAtEnd(NAME, machine);
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
