/**
 * Throughput and latency of the bridge with PUBACK-after-Kafka-ack.
 *
 * Publishes QoS 1 readings through Mosquitto at stepped rates to a bridge
 * running in its own process, and reads them back from Kafka. Each payload
 * carries its publish time, so the latency printed is publish → readable by a
 * Kafka consumer, an upper bound of publish → Kafka ack. The bridge's own
 * receive → PUBACK histogram is printed beside it.
 *
 * Uses KAFKA_BROKERS / MQTT_URL when set, otherwise starts its own Kafka and
 * Mosquitto with @homelab/infra.
 *
 *   yarn workspace mqtt-kafka-bridge bench [--steps 1000,2000,4000,8000,12000,20000] [--seconds 10]
 *     [--batch <kafka.batch.maxMessages>] [--window <mqtt.receiveMaximum>]
 */
import { startKafka, startMosquitto } from '@homelab/infra';
import { Kafka, logLevel } from 'kafkajs';
import mqtt, { MqttClient } from 'mqtt';
import { cpus, loadavg } from 'node:os';
import {
  spawnBridge,
  testConfig,
  uid,
  writeConfig,
} from '../src/__testUtils__/harness';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const STEPS = arg('steps', '1000,2000,4000,8000,12000,20000')
  .split(',')
  .map(Number);
const SECONDS = Number(arg('seconds', '10'));
const PUBLISHERS = 2;

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
  publish(client: MqttClient, topic: string, payload: string) {
    this.outstanding++;
    client.publish(topic, payload, { qos: 1 }, () => this.outstanding--);
  }
}

async function main() {
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
  // Knobs for tuning runs; the defaults are the shipped config's.
  if (process.argv.includes('--batch'))
    Object.assign(config.kafka, {
      batch: { maxMessages: Number(arg('batch', '2000')) },
    });
  if (process.argv.includes('--window'))
    Object.assign(config.mqtt, {
      receiveMaximum: Number(arg('window', '10000')),
    });
  // BENCH_BRIDGE_NODE_OPTIONS=--cpu-prof profiles the bridge process.
  const bridge = spawnBridge(writeConfig(config), {
    NODE_OPTIONS: process.env.BENCH_BRIDGE_NODE_OPTIONS ?? '',
  });
  const cleanup = async () => {
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
      `mqtt-kafka-bridge benchmark: ${STEPS.join(
        ', ',
      )} msg/s for ${SECONDS} s each, QoS 1, ${PUBLISHERS} publishers, energy topic with 3 partitions`,
    );
    console.log(
      `machine: ${cpus().length} cores, load average ${loadavg()
        .map(l => l.toFixed(1))
        .join(
          ' ',
        )} at start (Kafka, Mosquitto, bridge and this script on one host)`,
    );
    console.log(
      'target/s | published/s | in Kafka/s | backlog at end | p50 ms | p99 ms | bridge recv→PUBACK p50/p99 ms | produce p50/p99 ms | mean batch | bridge CPU µs/msg | bridge RSS MB',
    );
    let seq = 0;
    const window = new PublishWindow(20_000);
    for (const rate of STEPS) {
      latencies.length = 0;
      const consumedBefore = consumed;
      const before = await scrape(opsPort);
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
            JSON.stringify({
              sent_ms: Date.now(),
              seq: n,
              power_kw: 3.2,
              voltage: 230,
            }),
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
      const backlog = published - inKafkaDuring;
      const after = await scrape(opsPort);
      const maxRss =
        (after.get('process_resident_memory_bytes') ?? 0) / 1024 / 1024;
      const sorted = latencies.slice().sort((a, b) => a - b);
      const bridgeP50 = histogramQuantile(
        before,
        after,
        'bridge_delivery_duration_seconds',
        0.5,
      );
      const bridgeP99 = histogramQuantile(
        before,
        after,
        'bridge_delivery_duration_seconds',
        0.99,
      );
      console.log(
        [
          rate,
          publishedRate.toFixed(0),
          (inKafkaDuring / elapsed).toFixed(0),
          `${backlog} (drained in ${((Date.now() - drainStart) / 1000).toFixed(
            1,
          )} s)`,
          quantile(sorted, 0.5),
          quantile(sorted, 0.99),
          `≤${bridgeP50} / ≤${bridgeP99}`,
          `≤${histogramQuantile(
            before,
            after,
            'bridge_kafka_produce_duration_seconds',
            0.5,
          )} / ≤${histogramQuantile(
            before,
            after,
            'bridge_kafka_produce_duration_seconds',
            0.99,
          )}`,
          (
            (after.get('bridge_kafka_batch_size_sum')! -
              (before.get('bridge_kafka_batch_size_sum') ?? 0)) /
            Math.max(
              1,
              after.get('bridge_kafka_batch_size_count')! -
                (before.get('bridge_kafka_batch_size_count') ?? 0),
            )
          ).toFixed(0),
          (
            ((after.get('process_cpu_seconds_total')! -
              before.get('process_cpu_seconds_total')!) *
              1e6) /
            Math.max(
              1,
              sum(after, 'bridge_mqtt_messages_received_total') -
                sum(before, 'bridge_mqtt_messages_received_total'),
            )
          ).toFixed(0),
          maxRss.toFixed(0),
        ].join(' | '),
      );
      if (consumed - consumedBefore < published) {
        console.log(
          `  step did not drain within 60 s (${
            consumed - consumedBefore
          }/${published}); stopping`,
        );
        break;
      }
    }
    console.log(
      `load average at end: ${loadavg()
        .map(l => l.toFixed(1))
        .join(' ')}`,
    );
    await consumer.disconnect();
    await Promise.all(publishers.map(p => p.endAsync()));
  } finally {
    await cleanup();
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
