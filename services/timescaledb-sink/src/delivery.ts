import type { Logger } from '@homelab/service-kit';
import { writeIsolating } from './batch';
import type { DeadLetter, DeadLetterQueue, SourceMessage } from './dlq';
import { classifyDbError, errorClassName } from './errors';
import type { Hypertable } from './hypertable';
import type { SinkMetrics } from './metrics';
import { decodeMessages } from './record';
import type { ReadingRecord, ReadingsStore } from './store';

/**
 * THE place where a Kafka record counts as delivered.
 *
 * For one chunk of one partition, in this order:
 *   1. decode; undecodable records become dead letters at once;
 *   2. write the readings in one database transaction and COMMIT it
 *      (a record the database refuses on its own is isolated and tried
 *      `recordAttempts` times, then becomes a dead letter);
 *   3. send the dead letters and wait for Kafka to acknowledge them;
 *   4. only then resolve and commit the Kafka offset past the chunk.
 *
 * A crash anywhere before step 4 replays the chunk, which the unique
 * (device_id, ts) key turns into a no-op; nothing is committed that is not
 * stored or dead-lettered.
 */

/** What delivery needs from the consumer for one partition. */
export interface PartitionPosition {
  topic: string;
  partition: number;
  highWatermark: string;
  /** Moves kafkajs' fetch position past `offset`. */
  resolveOffset(offset: string): void;
  /** Commits `nextOffset` for the group (the next record to read). */
  commit(nextOffset: string): Promise<void>;
}

export interface DeliveryContext {
  table: Hypertable;
  store: ReadingsStore;
  dlq: DeadLetterQueue;
  metrics: SinkMetrics;
  logger: Logger;
  group: string;
  recordAttempts: number;
  /** Retries database outages without limit (see sink.ts). */
  dbGuard: <R>(fn: () => Promise<R>) => Promise<R>;
  /** Retries Kafka sends without limit. */
  kafkaGuard: <R>(fn: () => Promise<R>) => Promise<R>;
  /** Observer for each delivered batch (the benchmark's exact percentiles). */
  onBatch?: (seconds: number, records: number, inserted: number) => void;
}

export async function deliverChunk(
  messages: SourceMessage[],
  position: PartitionPosition,
  ctx: DeliveryContext,
): Promise<void> {
  if (!messages.length) return;
  const { table, metrics } = ctx;
  const started = process.hrtime.bigint();
  const { readings, letters } = decodeMessages(messages, table);
  ctx.logger.debug(
    {
      topic: position.topic,
      partition: position.partition,
      from: messages[0].offset,
      records: messages.length,
    },
    'writing batch',
  );

  let inserted = 0;
  const rejected = await writeIsolating<ReadingRecord>(readings, {
    write: async items => {
      inserted += await ctx.store.write(table, items);
    },
    isRecordError: e => classifyDbError(e) === 'record',
    attempts: ctx.recordAttempts,
    guard: ctx.dbGuard,
  });
  const refused: DeadLetter[] = rejected.map(r => ({
    message: r.item.message,
    errorClass: errorClassName(r.error),
    reason: `database refused the record: ${(r.error as Error).message}`,
    attempts: r.attempts,
  }));
  const dead = [...letters, ...refused];
  await ctx.kafkaGuard(() => ctx.dlq.send(dead));

  const last = messages[messages.length - 1].offset;
  const next = (BigInt(last) + 1n).toString();
  position.resolveOffset(last);
  try {
    await position.commit(next);
  } catch (err) {
    // The rows are stored; whoever owns the partition next replays them
    // harmlessly, so a lost commit is worth a warning, not a retry loop.
    ctx.logger.warn(
      {
        err: (err as Error).message,
        topic: position.topic,
        partition: position.partition,
      },
      'offset commit failed',
    );
  }

  ctx.logger.debug(
    {
      topic: position.topic,
      partition: position.partition,
      committed: next,
      inserted,
    },
    'batch delivered',
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const topic = position.topic;
  metrics.batchSeconds.observe({ table: table.name }, seconds);
  ctx.onBatch?.(seconds, messages.length, inserted);
  metrics.batchRows.observe(messages.length);
  metrics.batches.inc({ table: table.name });
  metrics.rowsWritten.inc({ table: table.name }, inserted);
  metrics.records.inc({ topic, outcome: 'stored' }, inserted);
  metrics.records.inc(
    { topic, outcome: 'duplicate' },
    readings.length - rejected.length - inserted,
  );
  metrics.records.inc({ topic, outcome: 'dead_lettered' }, dead.length);
  for (const d of dead)
    metrics.deadLetters.inc({ topic, error_class: d.errorClass });
  metrics.lag.set(
    { group: ctx.group, topic, partition: String(position.partition) },
    Math.max(0, Number(BigInt(position.highWatermark) - BigInt(next))),
  );
  if (dead.length) {
    ctx.logger.warn(
      {
        topic,
        partition: position.partition,
        offsets: dead.map(d => d.message.offset),
        reasons: [...new Set(dead.map(d => d.reason))].slice(0, 3),
      },
      'records sent to the dead-letter topic',
    );
  }
}
