import {
  Consumer,
  EachBatchPayload,
  Kafka,
  logLevel,
  Partitioners,
  Producer,
} from 'kafkajs';
import type { Pool } from 'pg';
import { DEFAULT_TOPICS } from '@homelab/plugin-streaming-common';
import type {
  HealthReport,
  Logger,
  RunningService,
} from '@homelab/service-kit';
import { chunk } from './batch';
import { retryForever, RetryAborted } from './backoff';
import type { SinkConfig } from './config';
import { deliverChunk, DeliveryContext } from './delivery';
import { DeadLetterQueue, SourceMessage } from './dlq';
import { classifyDbError } from './errors';
import { Hypertable, hypertablesFromConfig } from './hypertable';
import { createMetrics, SinkMetrics } from './metrics';
import { migrate, MigrationResult } from './migrations';
import { createPool, ReadingsStore } from './store';

export interface SinkOptions {
  logger: Logger;
  metrics?: SinkMetrics;
  onBatch?: DeliveryContext['onBatch'];
}

export interface Sink extends RunningService {
  /** Migrates the schema, then starts consuming. */
  start(): Promise<void>;
  health(): HealthReport;
  readonly metrics: SinkMetrics;
  readonly pool: Pool;
  migration?: MigrationResult;
}

const KAFKA_LOG_LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Retention of the default topics, used only when the sink creates a topic. */
function topicConfig(name: string) {
  const spec = Object.values(DEFAULT_TOPICS).find(t => t.name === name);
  if (!spec) return [];
  return [
    { name: 'retention.ms', value: String(spec.retentionMs) },
    ...(spec.segmentMs
      ? [{ name: 'segment.ms', value: String(spec.segmentMs) }]
      : []),
  ];
}

export function createSink(config: SinkConfig, options: SinkOptions): Sink {
  const logger = options.logger;
  const metrics = options.metrics ?? createMetrics();
  const pool = createPool(config, logger);
  metrics.observePool(pool);
  const store = new ReadingsStore(pool, config);
  const tables = new Map<string, Hypertable>(
    hypertablesFromConfig(config).map(t => [t.topic, t]),
  );

  const kafka = new Kafka({
    clientId: config.kafka.clientId,
    brokers: config.kafka.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => entry => {
      const { message, ...extra } = entry.log;
      logger[KAFKA_LOG_LEVELS[entry.level] ?? 'info'](
        { kafka: entry.namespace, ...extra },
        message,
      );
    },
  });
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const dlq = new DeadLetterQueue(producer, config.kafka.dlqTopic);
  const { batch } = config;
  const consumer: Consumer = kafka.consumer({
    groupId: config.kafka.group,
    sessionTimeout: config.kafka.sessionTimeoutMs,
    maxWaitTimeInMs: batch.maxWaitMs,
    minBytes: batch.minBytes,
    maxBytesPerPartition: batch.maxBytesPerPartition,
    maxBytes: batch.maxBytesPerPartition * batch.partitionsConcurrently,
    allowAutoTopicCreation: false,
  });

  let stopping = false;
  let consuming = false;
  let crashed: string | undefined;
  const waiting = new Set<string>();
  const sink: Sink = { start, stop, health, metrics, pool };

  consumer.on(consumer.events.CRASH, e => {
    if (!e.payload.restart) crashed = e.payload.error.message;
  });

  async function ensureTopics() {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const wanted = [...tables.keys(), config.kafka.dlqTopic].filter(
        t => !existing.has(t),
      );
      if (wanted.length) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: wanted.map(topic => ({
            topic,
            configEntries: topicConfig(topic),
          })),
        });
        logger.info({ topics: wanted }, 'created missing topics');
      }
    } finally {
      await admin.disconnect();
    }
  }

  async function start() {
    sink.migration = await retryForever(() => migrate(pool, config, logger), {
      initialMs: config.retry.initialBackoffMs,
      maxMs: config.retry.maxBackoffMs,
      shouldRetry: e => classifyDbError(e) === 'transient',
      onRetry: (e, attempt) =>
        logger.warn(
          { err: (e as Error).message, attempt },
          'database not reachable; retrying migrations',
        ),
      abortReason: () => (stopping ? 'stopping' : undefined),
    });
    await ensureTopics();
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({
      topics: [...tables.keys()],
      fromBeginning: config.kafka.fromBeginning,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: batch.partitionsConcurrently,
      eachBatch: handleBatch,
    });
    consuming = true;
    logger.info(
      {
        group: config.kafka.group,
        topics: [...tables.keys()],
        schema: config.database.schema,
        timescale: sink.migration.timescale,
      },
      'consuming',
    );
  }

  async function handleBatch(payload: EachBatchPayload) {
    const {
      batch: fetched,
      resolveOffset,
      heartbeat,
      isRunning,
      isStale,
    } = payload;
    const table = tables.get(fetched.topic);
    if (!table) return;
    const key = `${fetched.topic}:${fetched.partition}`;
    if (fetched.messages.length) {
      // Before the write: what is fetched but not yet committed is lag too.
      const lag =
        BigInt(fetched.highWatermark) -
        BigInt(fetched.firstOffset() ?? fetched.highWatermark);
      metrics.lag.set(
        {
          group: config.kafka.group,
          topic: fetched.topic,
          partition: String(fetched.partition),
        },
        Number(lag),
      );
    }
    let rebalancing = false;
    const abortReason = () => {
      if (stopping) return 'stopping';
      if (!isRunning()) return 'consumer stopped';
      if (isStale() || rebalancing) return 'partition revoked';
      return undefined;
    };
    const keepAlive = async () => {
      await heartbeat().catch(() => {
        rebalancing = true;
      });
    };
    const retryOptions = (what: string) => ({
      initialMs: config.retry.initialBackoffMs,
      maxMs: config.retry.maxBackoffMs,
      abortReason,
      onRetry: async (e: unknown, attempt: number, delayMs: number) => {
        waiting.add(key);
        metrics.waiting.set(waiting.size);
        const cls = what === 'database' ? classifyDbError(e) : 'kafka';
        metrics.dbRetries.inc({ class: cls });
        const log =
          attempt === 1 || attempt % 10 === 0
            ? logger.warn.bind(logger)
            : logger.debug.bind(logger);
        log(
          {
            err: (e as Error).message,
            class: cls,
            attempt,
            delayMs,
            topic: fetched.topic,
            partition: fetched.partition,
          },
          `${what} write failed; partition waits and retries`,
        );
        await keepAlive();
      },
    });
    const ctx: DeliveryContext = {
      table,
      store,
      dlq,
      metrics,
      logger,
      group: config.kafka.group,
      recordAttempts: config.retry.recordAttempts,
      dbGuard: fn =>
        retryForever(fn, {
          ...retryOptions('database'),
          shouldRetry: e => classifyDbError(e) !== 'record',
        }),
      kafkaGuard: fn =>
        retryForever(fn, {
          ...retryOptions('dead-letter'),
          shouldRetry: () => true,
        }),
      onBatch: options.onBatch,
    };
    const position = {
      topic: fetched.topic,
      partition: fetched.partition,
      highWatermark: fetched.highWatermark,
      resolveOffset,
      commit: (offset: string) =>
        consumer.commitOffsets([
          { topic: fetched.topic, partition: fetched.partition, offset },
        ]),
    };
    try {
      for (const part of chunk(fetched.messages, batch.maxRows)) {
        // Stop between chunks, never inside one: the chunk in flight finishes.
        if (abortReason()) return;
        const messages: SourceMessage[] = part.map(m => ({
          topic: fetched.topic,
          partition: fetched.partition,
          offset: m.offset,
          key: m.key,
          value: m.value,
          headers: m.headers,
        }));
        await deliverChunk(messages, position, ctx);
        if (waiting.delete(key)) {
          metrics.waiting.set(waiting.size);
          logger.info(
            { topic: fetched.topic, partition: fetched.partition },
            'database writes succeed again; partition resumed',
          );
        }
        await keepAlive();
      }
    } catch (e) {
      // Nothing of the aborted chunk was committed; it is read again later.
      if (e instanceof RetryAborted) return;
      throw e;
    }
  }

  function health(): HealthReport {
    return {
      live: crashed === undefined,
      ready: consuming && !stopping && waiting.size === 0,
      details: {
        migrated: sink.migration !== undefined,
        timescale: sink.migration?.timescale ?? null,
        consuming,
        partitionsWaitingForDatabase: [...waiting],
        ...(crashed ? { crashed } : {}),
      },
    };
  }

  async function stop(reason: string) {
    stopping = true;
    logger.info({ reason }, 'finishing the batch in flight');
    // disconnect() waits for eachBatch to return; chunks not started are
    // left uncommitted and read again by the next owner of the partition.
    await consumer
      .disconnect()
      .catch(e =>
        logger.warn({ err: e.message }, 'consumer disconnect failed'),
      );
    await producer
      .disconnect()
      .catch(e =>
        logger.warn({ err: e.message }, 'producer disconnect failed'),
      );
    await pool.end().catch(() => {});
    consuming = false;
  }

  return sink;
}
