/**
 * Drain benchmark: preloads a topic with canonical energy records, then times
 * how fast the sink drains it into PostgreSQL 15 for a few batch sizes.
 *
 *   yarn workspace timescaledb-sink bench
 *
 * Starts its own Kafka and PostgreSQL through @homelab/infra (set
 * BENCH_KAFKA_BROKERS / BENCH_DATABASE_URL to use running ones instead).
 * BENCH_RECORDS (default 1,000,000), BENCH_BATCHES (default 1000,5000,20000)
 * and BENCH_PARTITIONS (default 3) tune it.
 */
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { startKafka, startPostgres } from '@homelab/infra';
import { createLogger } from '@homelab/service-kit';
import { parseSinkConfig } from '../src/config';
import { createSink } from '../src/sink';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const BATCHES = (process.env.BENCH_BATCHES ?? '1000,5000,20000')
  .split(',')
  .map(Number);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);
const TOPIC = 'bench.energy';

const log = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

function percentile(sorted: number[], p: number) {
  return (
    sorted[
      Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
    ] ?? 0
  );
}

async function preload(brokers: string[]) {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: TOPIC, numPartitions: PARTITIONS }],
  });
  await admin.disconnect();
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const started = Date.now();
  const base = Date.parse('2025-01-01T00:00:00Z');
  const now = new Date().toISOString();
  // Under the broker's 1 MB request limit per partition, a few sends in flight.
  const chunk = 2_500;
  let inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < RECORDS; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(RECORDS, i + chunk); j++) {
      const device = `meter-${j % 100}`;
      const record = {
        stream: 'energy',
        device_id: device,
        ts: new Date(base + Math.floor(j / 100) * 1000).toISOString(),
        fields: {
          power_kw: (j % 5000) / 1000,
          total_energy_kwh: j / 100,
          voltage: 230 + (j % 7),
          current: 13.9,
        },
        received_at: now,
        source: {
          mqtt_topic: `homelab/energy/${device}`,
          qos: 1,
          retained: false,
          bridge_id: 'bench',
        },
      };
      messages.push({ key: device, value: JSON.stringify(record) });
    }
    inFlight.push(
      producer.send({
        topic: TOPIC,
        acks: 1,
        compression: CompressionTypes.None,
        messages,
      }),
    );
    if (inFlight.length >= 4) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  await producer.disconnect();
  const seconds = (Date.now() - started) / 1000;
  log(
    `preloaded ${RECORDS.toLocaleString(
      'en',
    )} records into ${TOPIC} (${PARTITIONS} partitions) in ${seconds.toFixed(
      1,
    )} s`,
  );
}

async function drain(brokers: string[], url: string, maxRows: number) {
  const id = `b${maxRows}_${Date.now() % 100000}`;
  const config = parseSinkConfig({
    kafka: { brokers, group: `bench-${id}`, dlqTopic: 'bench.dlq' },
    streams: {
      energy: {
        topic: TOPIC,
        table: 'energy_readings',
        columns: {
          power_kw: 'double precision',
          total_energy_kwh: 'double precision',
          voltage: 'double precision',
          current: 'double precision',
        },
      },
    },
    database: { url, schema: `bench_${id}`, poolMax: PARTITIONS + 1 },
    batch: {
      maxRows,
      maxWaitMs: 100,
      partitionsConcurrently: PARTITIONS,
      maxBytesPerPartition: 16 * 1024 * 1024,
    },
    timescale: { mode: 'off' },
    ops: { port: 0 },
  });
  const latencies: number[] = [];
  let stored = 0;
  const sink = createSink(config, {
    logger: createLogger('bench', 'warn'),
    // Counts inserted rows, not records: a chunk replayed after a rebalance
    // at start must not end the drain early.
    onBatch: (seconds, _records, inserted) => {
      latencies.push(seconds);
      stored += inserted;
    },
  });
  let peakRss = 0;
  const sampler = setInterval(
    () => (peakRss = Math.max(peakRss, process.memoryUsage().rss)),
    250,
  );
  await sink.start();
  const started = process.hrtime.bigint();
  while (stored < RECORDS) await new Promise(r => setTimeout(r, 50));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  await sink.stop('bench done');

  const client = new Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query(
    `SELECT count(*)::int AS n FROM "${config.database.schema}".energy_readings`,
  );
  await client.query(`DROP SCHEMA "${config.database.schema}" CASCADE`);
  await client.end();
  latencies.sort((a, b) => a - b);
  return {
    maxRows,
    seconds,
    rowsPerSecond: Math.round(rows[0].n / seconds),
    rows: rows[0].n as number,
    batches: latencies.length,
    p50: percentile(latencies, 50) * 1000,
    p99: percentile(latencies, 99) * 1000,
    peakRss,
  };
}

async function main() {
  const stops: (() => Promise<void>)[] = [];
  try {
    let brokers = process.env.BENCH_KAFKA_BROKERS?.split(',');
    let url = process.env.BENCH_DATABASE_URL;
    if (!brokers) {
      const kafka = await startKafka();
      stops.push(() => kafka.stop());
      brokers = kafka.brokers;
    }
    if (!url) {
      const postgres = await startPostgres();
      stops.push(() => postgres.stop());
      url = postgres.url;
    }
    const client = new Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('SHOW server_version');
    await client.end();
    log(
      `Kafka ${brokers.join(',')}, PostgreSQL ${rows[0].server_version}, Node ${
        process.version
      }, ${require('node:os').cpus().length} cores`,
    );
    await preload(brokers);
    const results = [];
    for (const maxRows of BATCHES) {
      const r = await drain(brokers, url, maxRows);
      results.push(r);
      log(
        `batch.maxRows=${String(maxRows).padStart(6)}: ${r.rows.toLocaleString(
          'en',
        )} rows in ${r.seconds.toFixed(1)} s = ${r.rowsPerSecond.toLocaleString(
          'en',
        )} rows/s; ` +
          `${r.batches} batches, commit latency p50 ${r.p50.toFixed(
            0,
          )} ms p99 ${r.p99.toFixed(0)} ms; peak RSS ${mb(r.peakRss)}`,
      );
    }
    log('');
    log(
      '| batch.maxRows | rows | seconds | rows/s | batches | p50 commit ms | p99 commit ms | peak RSS |',
    );
    log('|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      log(
        `| ${r.maxRows} | ${r.rows} | ${r.seconds.toFixed(1)} | ${
          r.rowsPerSecond
        } | ${r.batches} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${mb(
          r.peakRss,
        )} |`,
      );
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  err => {
    process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
