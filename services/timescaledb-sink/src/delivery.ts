import type { Logger } from '@homelab/service-kit';
import { writeIsolating } from './batch';
import type { DeadLetter, DeadLetterQueue, SourceMessage } from './dlq';
import { classifyDbError, errorClassName } from './errors';
import type { Hypertable } from './hypertable';
import type { SinkMetrics } from './metrics';
import { decodeMessages } from './decodeMessages';
import type { ReadingRecord, ReadingsStore, WriteOutcome } from './store';

/**
 * THE place where a Kafka record counts as delivered.
 *
 * For one chunk of one partition, in this order:
 *   1. decode; undecodable records become dead letters at once;
 *   2. write the readings in one database transaction and COMMIT it
 *      (a record the database refuses on its own is isolated and tried
 *      `recordAttempts` times, then becomes a dead letter);
 *   3. send the dead letters and wait for Kafka to acknowledge them;
 *   4. only then commit the Kafka offset past the chunk.
 *
 * kafkajs' fetch position runs ahead of this (sink.ts lets it fetch the
 * next chunks, a bounded number per partition, while this one is written),
 * but the group's committed offset, where a restart or the partition's next
 * owner resumes, moves only here, one chunk after the other in offset order.
 *
 * When the database or Kafka is unreachable, step 2 or 3 throws and nothing
 * is committed: the caller (sink.ts) drops what it fetched ahead, pauses the
 * partition and replays it from this chunk later. A crash anywhere before
 * step 4 replays the chunk as well; the unique (device_id, ts) key turns the
 * replay into counted, harmless replays. Nothing is committed that is not
 * stored or dead-lettered.
 */

/** What delivery needs from the consumer for one partition. */
export interface PartitionPosition {
  topic: string;
  partition: number;
  highWatermark: string;
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
  /** Most conflicts logged per chunk; all are counted. */
  conflictLogLimit: number;
  /** Keeps the consumer's group session alive during a long isolation. */
  heartbeat?: () => Promise<void>;
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

  const outcome: WriteOutcome = {
    inserted: 0,
    replays: 0,
    conflicts: 0,
    samples: [],
  };
  const add = (o: WriteOutcome) => {
    outcome.inserted += o.inserted;
    outcome.replays += o.replays;
    outcome.conflicts += o.conflicts;
    outcome.samples.push(...o.samples);
  };
  const rejected = await writeIsolating<ReadingRecord>(readings, {
    bulk:
      ctx.store.path === 'copy'
        ? async items => add(await ctx.store.writeBulk(table, items))
        : undefined,
    onBulkFailure: err =>
      ctx.logger.warn(
        {
          err: (err as Error).message,
          code: (err as { code?: string }).code,
          topic: position.topic,
          partition: position.partition,
          records: readings.length,
        },
        'COPY of the batch refused; writing it with statements, isolating the record at fault',
      ),
    write: async items => add(await ctx.store.write(table, items)),
    isRecordError: e => classifyDbError(e) !== 'transient',
    attempts: ctx.recordAttempts,
    beforeRetry: ctx.heartbeat,
  });
  const committedAt = Date.now();
  for (const r of readings)
    if (!rejected.some(x => x.item === r))
      metrics.recordLatency.observe(
        (committedAt - Date.parse(r.record.received_at)) / 1000,
      );
  const refused: DeadLetter[] = rejected.map(r => ({
    message: r.item.message,
    errorClass: errorClassName(r.error),
    reason: `database refused the record: ${(r.error as Error).message}`,
    attempts: r.attempts,
  }));
  const dead = [...letters, ...refused];
  await ctx.dlq.send(dead);

  const last = messages[messages.length - 1].offset;
  const next = (BigInt(last) + 1n).toString();
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
      ...outcome,
      samples: undefined,
    },
    'batch delivered',
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const topic = position.topic;
  const { inserted, replays, conflicts } = outcome;
  metrics.batchSeconds.observe({ table: table.name }, seconds);
  ctx.onBatch?.(seconds, messages.length, inserted);
  metrics.batchRows.observe(messages.length);
  metrics.batches.inc({ table: table.name });
  metrics.rowsWritten.inc({ table: table.name }, inserted);
  metrics.records.inc({ topic, outcome: 'stored' }, inserted);
  // A row inserted by an overlapping instance between our snapshot and our
  // insert is neither inserted nor compared here; it is a replay too.
  metrics.records.inc(
    { topic, outcome: 'duplicate' },
    readings.length - rejected.length - inserted - conflicts,
  );
  metrics.records.inc({ topic, outcome: 'conflict' }, conflicts);
  metrics.records.inc({ topic, outcome: 'dead_lettered' }, dead.length);
  metrics.replays.inc({ table: table.name }, replays);
  metrics.conflicts.inc({ table: table.name }, conflicts);
  for (const d of dead)
    metrics.deadLetters.inc({ topic, error_class: d.errorClass });
  metrics.lag.set(
    { group: ctx.group, topic, partition: String(position.partition) },
    Math.max(0, Number(BigInt(position.highWatermark) - BigInt(next))),
  );
  if (conflicts) {
    // Both values, so an operator can tell a clock problem from a replay.
    ctx.logger.warn(
      {
        table: table.name,
        conflicts,
        kept: 'first',
        samples: outcome.samples.slice(-ctx.conflictLogLimit),
      },
      'readings with an existing (device_id, ts) but other values; the stored value was kept',
    );
  }
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
