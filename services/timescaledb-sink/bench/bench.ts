/**
 * Drain benchmark: preloads a topic with canonical energy records, times how
 * fast the sink drains it into PostgreSQL 15, and in the same run times
 * `psql \copy` of the same rows into an identical table (the limit), then
 * prints `sink / COPY`. It also drains a smaller topic into TimescaleDB in
 * PGlite (the local TimescaleDB), which takes no COPY.
 *
 *   yarn workspace timescaledb-sink bench
 *
 * Each drain runs the real sink in a child process (bench/drain.ts), so the
 * peak RSS printed is the sink's own. Starts its own Kafka, PostgreSQL and
 * PGlite through @homelab/infra (BENCH_KAFKA_BROKERS, BENCH_DATABASE_URL,
 * BENCH_TIMESCALE_URL use running ones instead). Tuning:
 *   BENCH_RECORDS         records drained into PostgreSQL (default 1,000,000)
 *   BENCH_BATCHES         batch.maxRows values, one drain each (default 5000)
 *   BENCH_PARTITIONS      partitions of the topic (default 3)
 *   BENCH_FETCH_BYTES     batch.maxFetchBytes of the drains (default: the sink's)
 *   BENCH_PARTITION_BYTES batch.maxBytesPerPartition of the drains (default: the sink's)
 *   BENCH_WRITE_AHEAD     batch.writeAhead values, one drain each (default: the sink's)
 *   BENCH_PGLITE_RECORDS  records drained into PGlite (default 100,000; 0 skips)
 *   BENCH_CPU_PROF        a folder: each drain writes a V8 CPU profile there
 *   BENCH_NODE_FLAGS      more Node/V8 flags for the drain process
 *   BENCH_ALLOW_BUSY=1    measure even when the load average is above the cores
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import {
  checkQuietMachine,
  reportLoadAtEnd,
  startKafka,
  startPostgres,
  startTimescale,
} from '@homelab/infra';
import { parseSinkConfig, SinkConfigInput } from '../src/config';
import { createTableSql, Hypertable, timeIndexSql } from '../src/hypertable';
import type { DrainResult } from './drain';
import { BENCH_COLUMNS, benchRecord, copyLine } from './records';

const BENCH = 'timescaledb-sink';
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const BATCHES = (process.env.BENCH_BATCHES ?? '5000').split(',').map(Number);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);
const FETCH_BYTES = process.env.BENCH_FETCH_BYTES
  ? Number(process.env.BENCH_FETCH_BYTES)
  : undefined;
const PARTITION_BYTES = process.env.BENCH_PARTITION_BYTES
  ? Number(process.env.BENCH_PARTITION_BYTES)
  : undefined;
const WRITE_AHEAD = process.env.BENCH_WRITE_AHEAD
  ? process.env.BENCH_WRITE_AHEAD.split(',').map(Number)
  : [undefined];
const PGLITE_RECORDS = Number(process.env.BENCH_PGLITE_RECORDS ?? 100_000);
const TOPIC = 'bench.energy';
const PGLITE_TOPIC = 'bench.energy.pglite';
// Received "now" for every record: the rows are the same in every drain.
const RECEIVED_AT = new Date().toISOString();

const log = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const fmt = (n: number) => Math.round(n).toLocaleString('en');

async function preload(brokers: string[], topic: string, records: number) {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    // The sink never creates topics (the bridge provisions them in the
    // pipeline), so the bench provides the DLQ topic the sink checks for.
    topics: [
      { topic, numPartitions: PARTITIONS },
      { topic: 'bench.dlq', numPartitions: 1 },
    ],
  });
  await admin.disconnect();
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const started = Date.now();
  // Under the broker's 1 MB request limit per partition, a few sends in flight.
  const chunk = 2_500;
  let inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < records; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(records, i + chunk); j++) {
      const record = benchRecord(j, RECEIVED_AT);
      messages.push({ key: record.device_id, value: JSON.stringify(record) });
    }
    inFlight.push(
      producer.send({
        topic,
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
  log(
    `preloaded ${fmt(
      records,
    )} records into ${topic} (${PARTITIONS} partitions) in ${(
      (Date.now() - started) /
      1000
    ).toFixed(1)} s`,
  );
}

async function sql<T = Record<string, unknown>>(
  url: string,
  text: string,
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

const benchTable = (schema: string): Hypertable => ({
  stream: 'energy',
  topic: TOPIC,
  schema,
  name: 'energy_readings',
  columns: Object.entries(BENCH_COLUMNS).map(([name, type]) => ({
    name,
    type,
  })),
});

/**
 * The limit: `psql \copy` of the same rows into a table created by the
 * sink's own DDL (same columns, unique (device_id, ts) key, time index).
 */
async function psqlCopy(url: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sink-bench-'));
  const file = path.join(dir, 'rows.tsv');
  try {
    const out = createWriteStream(file);
    for (let i = 0; i < RECORDS; i += 10_000) {
      let text = '';
      for (let j = i; j < Math.min(RECORDS, i + 10_000); j++)
        text += copyLine(benchRecord(j, RECEIVED_AT));
      if (!out.write(text))
        await new Promise(resolve => out.once('drain', resolve));
    }
    await new Promise(resolve => out.end(resolve));
    const schema = `bench_copy_${Date.now() % 100000}`;
    const t = benchTable(schema);
    await sql(url, `CREATE SCHEMA ${schema}`);
    await sql(url, createTableSql(t));
    await sql(url, timeIndexSql(t));
    const columns = [
      'ts',
      'device_id',
      'received_at',
      ...Object.keys(BENCH_COLUMNS).map(c => `"${c}"`),
      'extra',
    ].join(', ');
    const started = process.hrtime.bigint();
    const psql = spawnSync(
      'psql',
      [
        url,
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        `\\copy ${schema}.energy_readings (${columns}) FROM '${file}'`,
      ],
      { encoding: 'utf8' },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (psql.status !== 0)
      throw new Error(`psql \\copy failed: ${psql.stderr || psql.error}`);
    const [{ n }] = await sql<{ n: number }>(
      url,
      `SELECT count(*)::int AS n FROM ${schema}.energy_readings`,
    );
    await sql(url, `DROP SCHEMA ${schema} CASCADE`);
    return { rows: n, seconds, rowsPerSecond: n / seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runDrain(
  config: SinkConfigInput,
  records: number,
): Promise<DrainResult> {
  const tsx = require.resolve('tsx').replace(/\?.*$/, '');
  const child = spawn(
    process.execPath,
    [
      // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each drain there.
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF]
        : []),
      // As package.json's start script and the Dockerfile run the sink.
      '--max-semi-space-size=4',
      '--heap-growing-percent=100',
      // BENCH_NODE_FLAGS: V8 flags to try on the drain (space-separated).
      ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      pathToFileURL(tsx).href,
      path.join(__dirname, 'drain.ts'),
    ],
    {
      env: { ...process.env, BENCH_DRAIN: JSON.stringify({ config, records }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', d => (out += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', code => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line));
      else reject(new Error(`drain exited with ${code}: ${out}`));
    });
  });
}

async function drain(
  brokers: string[],
  url: string,
  topic: string,
  records: number,
  maxRows: number,
  plainTables: boolean,
  writeAhead?: number,
) {
  const id = `b${maxRows}_${Date.now() % 100000}`;
  const schema = `bench_${id}`;
  const config: SinkConfigInput = {
    kafka: { brokers, group: `bench-${id}`, dlqTopic: 'bench.dlq' },
    streams: {
      energy: { topic, table: 'energy_readings', columns: BENCH_COLUMNS },
    },
    database: { url, schema, poolMax: PARTITIONS + 1 },
    batch: {
      maxRows,
      maxWaitMs: 100,
      partitionsConcurrently: PARTITIONS,
      ...(FETCH_BYTES ? { maxFetchBytes: FETCH_BYTES } : {}),
      ...(PARTITION_BYTES ? { maxBytesPerPartition: PARTITION_BYTES } : {}),
      ...(writeAhead === undefined ? {} : { writeAhead }),
    },
    timescale: { mode: plainTables ? 'off' : 'required' },
    ops: { port: 0 },
  };
  const r = await runDrain(config, records);
  const [{ n }] = await sql<{ n: number }>(
    url,
    `SELECT count(*)::int AS n FROM "${schema}".energy_readings`,
  );
  await sql(url, `DROP SCHEMA "${schema}" CASCADE`);
  return {
    ...r,
    maxRows,
    writeAhead: parseSinkConfig(config).batch.writeAhead,
    rows: n,
    rowsPerSecond: n / r.drainSeconds,
  };
}

async function main() {
  const facts = checkQuietMachine(BENCH);
  const stops: (() => Promise<void>)[] = [];
  try {
    let brokers = process.env.BENCH_KAFKA_BROKERS?.split(',');
    let url = process.env.BENCH_DATABASE_URL;
    let timescaleUrl = process.env.BENCH_TIMESCALE_URL;
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
    if (!timescaleUrl && PGLITE_RECORDS > 0) {
      const timescale = await startTimescale({
        inMemory: true,
        jobsEveryMs: 0,
      });
      stops.push(() => timescale.stop());
      timescaleUrl = timescale.url;
    }
    const [{ server_version: version }] = await sql<{
      server_version: string;
    }>(url, 'SHOW server_version');
    log(
      `Kafka ${brokers.join(',')}, PostgreSQL ${version}, ${fmt(
        RECORDS,
      )} records, ${PARTITIONS} partitions`,
    );
    await preload(brokers, TOPIC, RECORDS);
    if (PGLITE_RECORDS > 0)
      await preload(brokers, PGLITE_TOPIC, PGLITE_RECORDS);

    const copy = await psqlCopy(url);
    log(
      `psql \\copy: ${fmt(copy.rows)} rows in ${copy.seconds.toFixed(
        1,
      )} s = ${fmt(copy.rowsPerSecond)} rows/s (the limit)`,
    );

    const results = [];
    for (const maxRows of BATCHES)
      for (const writeAhead of WRITE_AHEAD) {
        const r = await drain(
          brokers,
          url,
          TOPIC,
          RECORDS,
          maxRows,
          true,
          writeAhead,
        );
        results.push(r);
        log(
          `sink, batch.maxRows=${maxRows} writeAhead=${r.writeAhead} (${
            r.writePath
          }): ${fmt(r.rows)} rows in ${r.drainSeconds.toFixed(1)} s = ${fmt(
            r.rowsPerSecond,
          )} rows/s; sink / COPY = ${(
            r.rowsPerSecond / copy.rowsPerSecond
          ).toFixed(2)}; ${r.cpuMicrosPerRow.toFixed(1)} µs CPU/row; ${
            r.batches
          } batches, commit p50 ${r.p50Ms.toFixed(0)} ms p99 ${r.p99Ms.toFixed(
            0,
          )} ms; peak RSS of the sink process ${mb(
            r.peakRssBytes,
          )} (V8 heap used ${mb(r.peakHeapUsedBytes)} of ${mb(
            r.peakHeapTotalBytes,
          )}, buffers ${mb(r.peakExternalBytes)})`,
        );
      }
    let pglite: (typeof results)[number] | undefined;
    if (PGLITE_RECORDS > 0 && timescaleUrl) {
      pglite = await drain(
        brokers,
        timescaleUrl,
        PGLITE_TOPIC,
        PGLITE_RECORDS,
        5000,
        false,
      );
      log(
        `sink into TimescaleDB in PGlite, batch.maxRows=5000 (${
          pglite.writePath
        }): ${fmt(pglite.rows)} rows in ${pglite.drainSeconds.toFixed(
          1,
        )} s = ${fmt(pglite.rowsPerSecond)} rows/s; peak RSS ${mb(
          pglite.peakRssBytes,
        )}`,
      );
    }

    log('');
    log(
      '| target | batch.maxRows | write path | rows | seconds | rows/s | sink / COPY | batches | p50 commit ms | p99 commit ms | peak RSS (sink) |',
    );
    log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    log(
      `| psql \\copy, PostgreSQL ${version} | – | COPY | ${fmt(
        copy.rows,
      )} | ${copy.seconds.toFixed(1)} | ${fmt(
        copy.rowsPerSecond,
      )} | 1.00 | – | – | – | – |`,
    );
    for (const r of results)
      log(
        `| sink, PostgreSQL ${version} | ${r.maxRows} | ${
          r.writePath
        }, writeAhead ${r.writeAhead} | ${fmt(
          r.rows,
        )} | ${r.drainSeconds.toFixed(1)} | ${fmt(r.rowsPerSecond)} | ${(
          r.rowsPerSecond / copy.rowsPerSecond
        ).toFixed(2)} | ${r.batches} | ${r.p50Ms.toFixed(
          0,
        )} | ${r.p99Ms.toFixed(0)} | ${mb(r.peakRssBytes)} |`,
      );
    if (pglite)
      log(
        `| sink, TimescaleDB in PGlite | 5000 | ${pglite.writePath} | ${fmt(
          pglite.rows,
        )} | ${pglite.drainSeconds.toFixed(1)} | ${fmt(
          pglite.rowsPerSecond,
        )} | – | ${pglite.batches} | ${pglite.p50Ms.toFixed(
          0,
        )} | ${pglite.p99Ms.toFixed(0)} | ${mb(pglite.peakRssBytes)} |`,
      );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    reportLoadAtEnd(BENCH, facts);
  }
}

main().then(
  () => process.exit(0),
  err => {
    process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
