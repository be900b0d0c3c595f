/**
 * One drain, in a process of its own so that its peak RSS is the sink's and
 * not the benchmark's (which produced the records). Started by bench.ts with
 * BENCH_DRAIN = JSON {config, records}; prints one JSON line with the result.
 */
import { createLogger } from '@homelab/service-kit';
import { parseSinkConfig, SinkConfigInput } from '../src/config';
import { createSink } from '../src/sink';

interface DrainRequest {
  config: SinkConfigInput;
  /** Rows to wait for (inserted, so a replayed chunk does not end it early). */
  records: number;
}

export interface DrainResult {
  writePath: string;
  /** First write started → last commit: the drain rate's denominator. */
  drainSeconds: number;
  /** sink.start() returned → last commit, including the group join. */
  wallSeconds: number;
  inserted: number;
  batches: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time (user + system) of the sink process per row, from start() returning to the last commit. */
  cpuMicrosPerRow: number;
  /** The process's peak resident set (getrusage ru_maxrss). */
  peakRssBytes: number;
  /** Peaks of process.memoryUsage() sampled every 100 ms: where the RSS goes. */
  peakHeapUsedBytes: number;
  peakHeapTotalBytes: number;
  peakExternalBytes: number;
}

function percentile(sorted: number[], p: number) {
  return (
    sorted[
      Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
    ] ?? 0
  );
}

async function main() {
  const request = JSON.parse(process.env.BENCH_DRAIN ?? '') as DrainRequest;
  const config = parseSinkConfig(request.config);
  const latencies: number[] = [];
  let inserted = 0;
  let firstStart: bigint | undefined;
  let lastEnd = 0n;
  const sink = createSink(config, {
    logger: createLogger('bench-drain', 'warn'),
    onBatch: (seconds, _records, rows) => {
      const now = process.hrtime.bigint();
      firstStart ??= now - BigInt(Math.round(seconds * 1e9));
      lastEnd = now;
      latencies.push(seconds);
      inserted += rows;
    },
  });
  const peaks = { heapUsed: 0, heapTotal: 0, external: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed);
    peaks.heapTotal = Math.max(peaks.heapTotal, m.heapTotal);
    peaks.external = Math.max(peaks.external, m.external);
  }, 100);
  await sink.start();
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  while (inserted < request.records) await new Promise(r => setTimeout(r, 20));
  const cpu = process.cpuUsage(cpuStart);
  const result: DrainResult = {
    writePath: String(sink.health().details?.writePath),
    drainSeconds: Number(lastEnd - (firstStart ?? started)) / 1e9,
    wallSeconds: Number(lastEnd - started) / 1e9,
    inserted,
    batches: latencies.length,
    cpuMicrosPerRow: (cpu.user + cpu.system) / Math.max(1, inserted),
    p50Ms: 0,
    p99Ms: 0,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    peakHeapUsedBytes: peaks.heapUsed,
    peakHeapTotalBytes: peaks.heapTotal,
    peakExternalBytes: peaks.external,
  };
  clearInterval(sampler);
  latencies.sort((a, b) => a - b);
  result.p50Ms = percentile(latencies, 50) * 1000;
  result.p99Ms = percentile(latencies, 99) * 1000;
  await sink.stop('bench done');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  err => {
    process.stderr.write(`drain failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
