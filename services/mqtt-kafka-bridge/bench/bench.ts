/**
 * Throughput and latency of the bridge with PUBACK-after-Kafka-ack.
 *
 * Publishes QoS 1 readings through Mosquitto at stepped rates to a bridge
 * running in its own process, and reads them back from Kafka. Each payload
 * carries its publish time, so the latency printed is publish → readable by a
 * Kafka consumer, an upper bound of publish → Kafka ack. The bridge's own
 * receive → PUBACK histogram is printed beside it.
 *
 * Then the saturation run: the bridge is stopped (SIGSTOP) while a backlog
 * is published into its Mosquitto session, and continued; the rate at which
 * the backlog reaches Kafka is what the bridge alone can do, without the
 * publishers competing for the same cores, and its peak RSS is the bridge's
 * memory at saturation.
 *
 * Last, the limit: `kcat -P` (librdkafka) producing the same canonical
 * records (same keys and values, built by the bridge's own code) with
 * idempotence and acks=all into a topic of the same shape. The benchmark
 * prints `bridge / kcat`.
 *
 * Uses KAFKA_BROKERS / MQTT_URL when set, otherwise starts its own Kafka and
 * Mosquitto with @homelab/infra.
 *
 *   yarn workspace mqtt-kafka-bridge bench [--steps 5000,10000,15000,20000,25000] [--seconds 10]
 *     [--drain 200000] [--kcat 300000] [--runtime bundle|tsx]
 *     [--batch <kafka.batch.maxMessages>] [--window <mqtt.receiveMaximum>]
 *     [--pending <limits.maxPending>] [--node-flags "<node flags instead of the image's>"]
 */
import {
  checkQuietMachine,
  reportLoadAtEnd,
  startKafka,
  startMosquitto,
} from '@homelab/infra';
import { Kafka, logLevel } from 'kafkajs';
import mqtt, { MqttClient } from 'mqtt';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  SERVICE_DIR,
  spawnBridge,
  testConfig,
  writeConfig,
} from '../src/__testUtils__/harness';
import { uid } from '@homelab/test-kit';
import { timeKcat } from './kcat';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const STEPS = arg('steps', '5000,10000,15000,20000,25000')
  .split(',')
  .map(Number);
const SECONDS = Number(arg('seconds', '10'));
const DRAIN = Number(arg('drain', '200000'));
const KCAT = Number(arg('kcat', '300000'));
const PUBLISHERS = 2;
const NAME = 'mqtt-kafka-bridge';
const RUNTIME = arg('runtime', 'bundle');

/**
 * The node flags of the image's CMD (heap sizes), so the benchmark measures
 * what runs; `--node-flags "<flags>"` tries others.
 */
function imageNodeFlags(): string[] {
  if (process.argv.includes('--node-flags'))
    return arg('node-flags', '').split(' ').filter(Boolean);
  const cmd = readFileSync(path.join(SERVICE_DIR, 'Dockerfile'), 'utf8')
    .split('\n')
    .find(line => line.startsWith('CMD '));
  const argv: string[] = cmd ? JSON.parse(cmd.slice(4)) : [];
  return argv.filter(a => a.startsWith('--'));
}

/**
 * The bridge as the image runs it: one esbuild bundle (scripts/build-images.sh),
 * so its memory and CPU are not those of tsx compiling TypeScript.
 */
function bundleBridge(): string {
  const out = path.join(
    mkdtempSync(path.join(tmpdir(), 'bridge-bench-bundle-')),
    'main.cjs',
  );
  execFileSync(
    path.join(SERVICE_DIR, '../../node_modules/.bin/esbuild'),
    [
      path.join(SERVICE_DIR, 'src/main.ts'),
      '--bundle',
      '--platform=node',
      '--target=node24',
      '--format=cjs',
      `--outfile=${out}`,
      '--sourcemap',
      '--log-level=warning',
      '--external:pg-native',
      '--external:bufferutil',
      '--external:utf-8-validate',
    ],
    { stdio: 'inherit' },
  );
  return out;
}

/** CPU seconds (user + system) of a process, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may contain spaces: utime is the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident set size of a process in MB (VmHWM), from /proc (Linux). */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return m ? Number(m[1]) / 1024 : NaN;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    values.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return values;
}

function sum(values: Map<string, number>, name: string): number {
  let total = 0;
  for (const [k, v] of values)
    if (k === name || k.startsWith(`${name}{`)) total += v;
  return total;
}

/** Quantile from a Prometheus histogram's bucket deltas (upper bucket bound). */
function histogramQuantile(
  before: Map<string, number>,
  after: Map<string, number>,
  name: string,
  q: number,
): number {
  const buckets = [...after.keys()]
    .filter(k => k.startsWith(`${name}_bucket{le="`))
    .map(k => ({
      le: k.slice(name.length + 12, -2),
      n: after.get(k)! - (before.get(k) ?? 0),
    }))
    .filter(b => b.le !== '+Inf')
    .map(b => ({ le: Number(b.le), n: b.n }))
    .sort((a, b) => a.le - b.le);
  const total =
    after.get(`${name}_count`)! - (before.get(`${name}_count`) ?? 0);
  const bucket = buckets.find(b => b.n >= q * total);
  return bucket ? bucket.le * 1000 : Infinity;
}

/** Like devices that wait for Mosquitto's PUBACK: at most `max` publishes outstanding. */
class PublishWindow {
  private outstanding = 0;
  constructor(private readonly max: number) {}
  get open() {
    return this.outstanding < this.max;
  }
  get pending() {
    return this.outstanding;
  }
  publish(client: MqttClient, topic: string, payload: string) {
    this.outstanding++;
    client.publish(topic, payload, { qos: 1 }, () => this.outstanding--);
  }
}

async function main() {
  const facts = checkQuietMachine(NAME);
  const ownKafka = process.env.KAFKA_BROKERS ? undefined : await startKafka();
  // Above the bridge's pace, the excess waits in Mosquitto's queue; the stock
  // 1000 would drop it and the benchmark would measure loss, not throughput.
  const ownMosquitto = process.env.MQTT_URL
    ? undefined
    : await startMosquitto({ maxQueuedMessages: 1_000_000 });
  const brokers = ownKafka?.brokers ?? process.env.KAFKA_BROKERS!.split(',');
  const mqttUrl = ownMosquitto?.url ?? process.env.MQTT_URL!;
  const id = uid();
  const { config, prefix, topics } = testConfig({
    id,
    kafkaBrokers: brokers,
    mqttUrl,
  });
  config.kafka.topics.energy.partitions = 3;
  // The saturation run stops the bridge while its backlog is published; a
  // keepalive longer than that pause keeps its connection.
  config.mqtt.keepaliveSeconds = 120;
  // Knobs for tuning runs; the defaults are the shipped config's.
  if (process.argv.includes('--batch'))
    Object.assign(config.kafka, {
      batch: { maxMessages: Number(arg('batch', '2000')) },
    });
  if (process.argv.includes('--window'))
    Object.assign(config.mqtt, {
      receiveMaximum: Number(arg('window', '10000')),
    });
  if (process.argv.includes('--pending'))
    Object.assign(config, {
      limits: { maxPending: Number(arg('pending', '20000')) },
    });
  // BENCH_BRIDGE_NODE_OPTIONS=--cpu-prof profiles the bridge process.
  const bridge = spawnBridge(
    writeConfig(config),
    { NODE_OPTIONS: process.env.BENCH_BRIDGE_NODE_OPTIONS ?? '' },
    RUNTIME === 'bundle'
      ? [...imageNodeFlags(), bundleBridge()]
      : ['--import', 'tsx', 'src/main.ts'],
  );
  console.log(
    `bridge runs ${
      RUNTIME === 'bundle'
        ? `as the image does: src/main.ts bundled by esbuild, node ${imageNodeFlags().join(
            ' ',
          )}`
        : 'from source with tsx (its compiler adds memory and start-up CPU)'
    }`,
  );
  const bridgePid = bridge.child.pid!;
  const cleanup = async () => {
    bridge.child.kill('SIGCONT');
    await bridge.kill('SIGTERM');
    await ownKafka?.stop();
    await ownMosquitto?.stop();
  };
  try {
    const opsPort = await bridge.opsPort();
    const publishers: MqttClient[] = [];
    for (let i = 0; i < PUBLISHERS; i++) {
      publishers.push(
        await mqtt.connectAsync(mqttUrl, {
          clientId: `bench-pub-${id}-${i}`,
          clean: false,
        }),
      );
    }

    const latencies: number[] = [];
    let consumed = 0;
    const kafka = new Kafka({
      clientId: 'bridge-bench',
      brokers,
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({
      groupId: `bridge-bench-${id}`,
      maxWaitTimeInMs: 5,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.energy, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          const record = JSON.parse(m.value!.toString());
          latencies.push(now - record.fields.sent_ms);
          consumed++;
        }
      },
    });
    // Warm up (JIT, producer id, consumer group join).
    await publishers[0].publishAsync(
      `${prefix}/energy/warmup`,
      JSON.stringify({ sent_ms: Date.now(), power_kw: 1 }),
      { qos: 1 },
    );
    while (consumed < 1) await new Promise(r => setTimeout(r, 50));

    console.log(
      `${NAME} benchmark: ${STEPS.join(
        ', ',
      )} msg/s for ${SECONDS} s each, QoS 1, ${PUBLISHERS} publishers, energy topic with 3 partitions; ` +
        `then a backlog of ${DRAIN} drained at saturation; then kcat with ${KCAT} records ` +
        `(Kafka, Mosquitto, bridge and this script on one host)`,
    );
    console.log(
      'target/s | published/s | in Kafka/s | backlog at end | p50 ms | p99 ms | bridge recv→PUBACK p50/p99 ms | produce p50/p99 ms | mean batch | bridge CPU µs/msg | bridge RSS MB (peak so far)',
    );
    let seq = 0;
    const payload = (n: number) =>
      JSON.stringify({
        sent_ms: Date.now(),
        seq: n,
        power_kw: 3.2,
        voltage: 230,
      });
    const window = new PublishWindow(20_000);
    /** The highest step Kafka kept pace with: ≥ 95 % of the target, backlog gone within a second. */
    let sustained: { rate: number; p50: number; p99: number } | undefined;
    for (const rate of STEPS) {
      latencies.length = 0;
      const consumedBefore = consumed;
      const before = await scrape(opsPort);
      const cpuBefore = cpuSeconds(bridgePid);
      const started = Date.now();
      let published = 0;
      const tickMs = 10;
      const perTick = rate / (1000 / tickMs);
      while (Date.now() - started < SECONDS * 1000) {
        const due =
          Math.floor(((Date.now() - started) / 1000) * rate) - published;
        for (let i = 0; i < Math.min(due, perTick * 5) && window.open; i++) {
          const n = seq++;
          window.publish(
            publishers[n % PUBLISHERS],
            `${prefix}/energy/meter-${n % 16}`,
            payload(n),
          );
          published++;
        }
        await new Promise(r => setTimeout(r, tickMs));
      }
      const elapsed = (Date.now() - started) / 1000;
      const inKafkaDuring = consumed - consumedBefore;
      const publishedRate = published / elapsed;
      // Drain: how long until Kafka has everything from this step.
      const drainStart = Date.now();
      while (
        consumed - consumedBefore < published &&
        Date.now() - drainStart < 60_000
      ) {
        await new Promise(r => setTimeout(r, 50));
      }
      const drainSeconds = (Date.now() - drainStart) / 1000;
      const cpu = cpuSeconds(bridgePid) - cpuBefore;
      const backlog = published - inKafkaDuring;
      const after = await scrape(opsPort);
      const sorted = latencies.slice().sort((a, b) => a - b);
      const p50 = quantile(sorted, 0.5);
      const p99 = quantile(sorted, 0.99);
      if (
        inKafkaDuring / elapsed >= 0.95 * rate &&
        drainSeconds <= 1 &&
        consumed - consumedBefore >= published
      )
        sustained = { rate, p50, p99 };
      const produceQ = (q: number) =>
        histogramQuantile(
          before,
          after,
          'bridge_kafka_produce_duration_seconds',
          q,
        );
      const deliveryQ = (q: number) =>
        histogramQuantile(before, after, 'bridge_delivery_duration_seconds', q);
      const delta = (name: string) => sum(after, name) - sum(before, name);
      console.log(
        [
          rate,
          publishedRate.toFixed(0),
          (inKafkaDuring / elapsed).toFixed(0),
          `${backlog} (drained in ${drainSeconds.toFixed(1)} s)`,
          p50,
          p99,
          `≤${deliveryQ(0.5)} / ≤${deliveryQ(0.99)}`,
          `≤${produceQ(0.5)} / ≤${produceQ(0.99)}`,
          (
            delta('bridge_kafka_batch_size_sum') /
            Math.max(1, delta('bridge_kafka_batch_size_count'))
          ).toFixed(0),
          (
            (cpu * 1e6) /
            Math.max(1, delta('bridge_mqtt_messages_received_total'))
          ).toFixed(1),
          peakRssMb(bridgePid).toFixed(0),
        ].join(' | '),
      );
      if (consumed - consumedBefore < published) {
        console.log(
          `  step did not drain within 60 s (${
            consumed - consumedBefore
          }/${published}); stopping the steps`,
        );
        break;
      }
    }

    // Saturation: a backlog waits in Mosquitto while the bridge is stopped,
    // then the bridge drains it as fast as it can, with nothing else running.
    let saturation: { rate: number; cpuUs: number; rssMb: number } | undefined;
    if (DRAIN > 0) {
      const consumedBefore = consumed;
      bridge.child.kill('SIGSTOP');
      let published = 0;
      const backlogWindow = new PublishWindow(5_000);
      while (published < DRAIN) {
        while (published < DRAIN && backlogWindow.open) {
          const n = seq++;
          backlogWindow.publish(
            publishers[n % PUBLISHERS],
            `${prefix}/energy/meter-${n % 16}`,
            payload(n),
          );
          published++;
        }
        await new Promise(r => setImmediate(r));
      }
      while (backlogWindow.pending > 0)
        await new Promise(r => setTimeout(r, 10));
      const cpuBefore = cpuSeconds(bridgePid);
      const started = Date.now();
      bridge.child.kill('SIGCONT');
      while (
        consumed - consumedBefore < DRAIN &&
        Date.now() - started < 300_000
      )
        await new Promise(r => setTimeout(r, 20));
      const seconds = (Date.now() - started) / 1000;
      const drained = consumed - consumedBefore;
      const heap = await scrape(opsPort);
      const mb = (name: string) =>
        ((heap.get(name) ?? NaN) / 2 ** 20).toFixed(0);
      saturation = {
        rate: drained / seconds,
        cpuUs: ((cpuSeconds(bridgePid) - cpuBefore) * 1e6) / drained,
        rssMb: peakRssMb(bridgePid),
      };
      console.log(
        `saturation: ${drained}/${DRAIN} backlog records into Kafka in ${seconds.toFixed(
          1,
        )} s = ${saturation.rate.toFixed(0)} msg/s, ` +
          `bridge CPU ${saturation.cpuUs.toFixed(
            1,
          )} µs/msg, bridge peak RSS ${saturation.rssMb.toFixed(0)} MB ` +
          `(after: heap used ${mb('nodejs_heap_size_used_bytes')} of ${mb(
            'nodejs_heap_size_total_bytes',
          )} MB, external ${mb('nodejs_external_memory_bytes')} MB)`,
      );
    }
    await consumer.disconnect();
    await Promise.all(publishers.map(p => p.endAsync()));

    if (KCAT > 0) {
      const kcat = await timeKcat({
        brokers,
        topic: `${topics.energy}.kcat`,
        partitions: 3,
        records: KCAT,
        prefix,
      });
      console.log(
        `kcat -P (idempotence, acks=all): ${KCAT} records in ${kcat.seconds.toFixed(
          2,
        )} s = ${kcat.rate.toFixed(0)} msg/s, ${kcat.cpuUs.toFixed(
          1,
        )} µs CPU/msg, peak RSS ${kcat.rssMb.toFixed(0)} MB`,
      );
      if (sustained)
        console.log(
          `bridge / kcat (sustained ${sustained.rate} msg/s, p50 ${
            sustained.p50
          } ms, p99 ${sustained.p99} ms): ${(
            sustained.rate / kcat.rate
          ).toFixed(3)}`,
        );
      else console.log('bridge / kcat (sustained): no step was sustained');
      if (saturation)
        console.log(
          `bridge / kcat (saturation ${saturation.rate.toFixed(0)} msg/s): ${(
            saturation.rate / kcat.rate
          ).toFixed(3)}`,
        );
    }
    reportLoadAtEnd(NAME, facts);
  } finally {
    await cleanup();
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
