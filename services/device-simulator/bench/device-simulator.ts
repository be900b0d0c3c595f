/**
 * How much traffic one simulator can generate: runs the homelab's fleet at
 * rising multipliers against its own Mosquitto for a few seconds each and
 * prints acknowledged messages per second, PUBACK latency and RSS.
 */
import { startMosquitto } from '@homelab/infra';
import { createLogger } from '@homelab/service-kit';
import mqtt from 'mqtt';
import { simulatorConfigSchema } from '../src/config';
import { startSimulator } from '../src/simulator';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const MULTIPLIERS = (process.env.BENCH_RATES ?? '1,100,1000,5000')
  .split(',')
  .map(Number);

async function main() {
  const broker = await startMosquitto();
  const logger = createLogger('device-simulator-bench', 'warn');
  console.log(
    `device-simulator bench: ${SECONDS} s per multiplier, own Mosquitto, ${
      require('node:os').cpus().length
    } cores`,
  );
  console.log(
    'multiplier  target msg/s  acked msg/s  received msg/s  ack p50 ms  ack p99 ms  RSS MB',
  );
  try {
    for (const rate of MULTIPLIERS) {
      const subscriber = await mqtt.connectAsync(broker.url, {
        reconnectPeriod: 0,
      });
      let received = 0;
      subscriber.on('message', () => received++);
      await subscriber.subscribeAsync('bench/#', { qos: 1 });
      const config = simulatorConfigSchema.parse({
        mqtt: { url: broker.url, topicPrefix: 'bench' },
        rateMultiplier: rate,
        seed: 1,
        ops: { host: '127.0.0.1', port: 0 },
      });
      const sim = await startSimulator(config, logger);
      await new Promise(r => setTimeout(r, SECONDS * 1000));
      const metrics = await (
        await fetch(`http://127.0.0.1:${sim.opsPort}/metrics`)
      ).text();
      await sim.stop('bench');
      await subscriber.endAsync();
      const acked = [
        ...metrics.matchAll(
          /^simulator_messages_published_total\{[^}]*\} (\d+)/gm,
        ),
      ].reduce((s, m) => s + Number(m[1]), 0);
      const target = sim.devices.reduce((s, d) => s + 1000 / d.intervalMs, 0);
      // Latency quantiles from the histogram's cumulative buckets.
      const buckets = [
        ...metrics.matchAll(
          /^simulator_publish_ack_duration_seconds_bucket\{le="([^"]+)"\} (\d+)/gm,
        ),
      ].map(m => ({ le: Number(m[1]), n: Number(m[2]) }));
      const total = buckets.at(-1)?.n ?? 0;
      const at = (q: number) =>
        (buckets.find(b => b.n >= q * total)?.le ?? NaN) * 1000;
      console.log(
        [
          rate,
          target.toFixed(1),
          (acked / SECONDS).toFixed(0),
          (received / SECONDS).toFixed(0),
          `≤${at(0.5)}`,
          `≤${at(0.99)}`,
          (process.memoryUsage().rss / 2 ** 20).toFixed(0),
        ]
          .map(String)
          .map((s, i) => s.padStart(i === 0 ? 10 : 12))
          .join('  '),
      );
    }
  } finally {
    await broker.stop();
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
