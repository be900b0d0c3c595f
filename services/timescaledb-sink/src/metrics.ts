import { metricsRegistry } from '@homelab/service-kit';
import type { Registry } from 'prom-client';
import type { Pool } from 'pg';

export type SinkMetrics = ReturnType<typeof createMetrics>;

/** The sink's Prometheus metrics, on a registry of its own. */
export function createMetrics(registry?: Registry) {
  let pool: Pool | undefined;
  const metric = metricsRegistry(registry);
  const m = {
    registry: metric.registry,
    rowsWritten: metric.counter({
      name: 'timescaledb_sink_rows_written_total',
      help: 'Rows inserted into a table (replayed duplicates excluded)',
      labelNames: ['table'],
    }),
    records: metric.counter({
      name: 'timescaledb_sink_records_total',
      help: 'Kafka records handled, by outcome: stored, duplicate, conflict or dead_lettered',
      labelNames: ['topic', 'outcome'],
    }),
    batches: metric.counter({
      name: 'timescaledb_sink_batches_total',
      help: 'Batches delivered (database commit followed by offset commit)',
      labelNames: ['table'],
    }),
    batchSeconds: metric.histogram({
      name: 'timescaledb_sink_batch_commit_seconds',
      help: 'Time from the start of a batch write to its offset commit',
      labelNames: ['table'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    recordLatency: metric.histogram({
      name: 'timescaledb_sink_record_latency_seconds',
      help: "From the bridge's received_at to the record's database commit (the pipeline view's sink latency)",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
    batchRows: metric.histogram({
      name: 'timescaledb_sink_batch_rows',
      help: 'Records per batch',
      buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000],
    }),
    lag: metric.gauge({
      name: 'timescaledb_sink_consumer_lag',
      help: 'Records between the last fetched high watermark and the committed offset, per partition',
      labelNames: ['group', 'topic', 'partition'],
    }),
    replays: metric.counter({
      name: 'timescaledb_sink_replays_total',
      help: 'Records whose (device_id, ts) was already stored with the same values (harmless)',
      labelNames: ['table'],
    }),
    conflicts: metric.counter({
      name: 'timescaledb_sink_conflicts_total',
      help: 'Records whose (device_id, ts) was already stored with other values; the first value was kept',
      labelNames: ['table'],
    }),
    deadLetters: metric.counter({
      name: 'timescaledb_sink_dead_letters_total',
      help: 'Records sent to the dead-letter topic',
      labelNames: ['topic', 'error_class'],
    }),
    dbRetries: metric.counter({
      name: 'timescaledb_sink_db_retries_total',
      help: 'Writes retried later while the database (transient) or Kafka (kafka) was unavailable, or after an error of neither (unexpected, at most retry.recordAttempts times)',
      labelNames: ['class'],
    }),
    waiting: metric.gauge({
      name: 'timescaledb_sink_partitions_waiting',
      help: 'Partitions paused while the database or Kafka is unavailable',
    }),
    pool: metric.gauge({
      name: 'timescaledb_sink_db_pool_connections',
      help: 'Database pool connections by state: total, idle, and clients waiting for one',
      labelNames: ['state'],
      // Read at scrape time rather than on every query.
      collect() {
        if (!pool) return;
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    }),
    observePool(p: Pool) {
      pool = p;
    },
  };
  return m;
}
