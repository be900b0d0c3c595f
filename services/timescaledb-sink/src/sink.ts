import {
  Consumer,
  EachBatchPayload,
  Kafka,
  KafkaJSError,
  Partitioners,
  Producer,
} from 'kafkajs';
import type { Pool } from 'pg';
import { requireTopics } from '@homelab/pipeline-contracts';
import type {
  HealthReport,
  Logger,
  RunningService,
} from '@homelab/service-kit';
import {
  connectKafkaAdmin,
  ConnectionSettingError,
  explainPostgresFailure,
  kafkaClientOptions,
} from '@homelab/service-kit';
import { chunk } from './batch';
import { backoffDelay, retryForever } from './backoff';
import type { SinkConfig } from './config';
import { deliverChunk, DeliveryContext } from './delivery';
import { DeadLetterQueue, SourceMessage } from './dlq';
import { classifyDbError } from './errors';
import { Hypertable, hypertablesFromConfig } from './hypertable';
import { createMetrics, SinkMetrics } from './metrics';
import { migrate, MigrationResult } from './migrations';
import { createPool, detectWritePath, ReadingsStore } from './store';
import { WriteQueue } from './writeQueue';

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

/** A partition paused until the database or Kafka answers again. */
interface PartitionWait {
  attempt: number;
  timer?: NodeJS.Timeout;
}

/** Where the database settings sit, for errors that name the key to fix. */
const DATABASE_SETTINGS = { prefix: 'database' } as const;

export function createSink(config: SinkConfig, options: SinkOptions): Sink {
  const logger = options.logger;
  const metrics = options.metrics ?? createMetrics();
  const pool = createPool(config, logger);
  metrics.observePool(pool);
  const tables = new Map<string, Hypertable>(
    hypertablesFromConfig(config).map(t => [t.topic, t]),
  );
  const store = new ReadingsStore(pool, config, [...tables.values()]);

  const kafka = new Kafka(kafkaClientOptions(config.kafka, logger));
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const dlq = new DeadLetterQueue(producer, config.kafka.dlqTopic, {
    maxValueBytes: config.kafka.dlqMaxValueBytes,
    maxBatchBytes: config.kafka.dlqMaxBatchBytes,
  });
  const { batch } = config;
  const consumer: Consumer = kafka.consumer({
    groupId: config.kafka.group,
    sessionTimeout: config.kafka.sessionTimeoutMs,
    maxWaitTimeInMs: batch.maxWaitMs,
    minBytes: batch.minBytes,
    maxBytesPerPartition: batch.maxBytesPerPartition,
    maxBytes: batch.maxFetchBytes,
    allowAutoTopicCreation: false,
  });

  const writes = new WriteQueue(batch.writeAhead);
  let stopping = false;
  let consuming = false;
  let crashed: string | undefined;
  const sink: Sink = { start, stop, health, metrics, pool };

  consumer.on(consumer.events.CRASH, e => {
    if (!e.payload.restart) crashed = e.payload.error.message;
  });
  // A rejoin makes kafkajs fetch every partition again from its committed
  // offset (its fetch positions start afresh), so chunks fetched before it
  // and still waiting are dropped rather than written behind the refetch;
  // partitions this member lost are the new owner's from here on. The chunk
  // being written finishes: its rows are stored either way, and its offset
  // commit is at worst refused or older than the new owner's (a replay).
  consumer.on(consumer.events.REBALANCING, () => writes.dropAll());

  async function start() {
    sink.migration = await retryForever(() => migrate(pool, config, logger), {
      initialMs: config.retry.initialBackoffMs,
      maxMs: config.retry.maxBackoffMs,
      shouldRetry: e =>
        !explainPostgresFailure(e, DATABASE_SETTINGS) &&
        classifyDbError(e) === 'transient',
      onRetry: (e, attempt) =>
        logger.warn(
          { err: (e as Error).message, attempt },
          'database not reachable; retrying migrations',
        ),
      abortReason: () => (stopping ? 'stopping' : undefined),
    }).catch(error => {
      // A password, CA or sslmode that waiting cannot fix: name the key.
      const setting = explainPostgresFailure(error, DATABASE_SETTINGS);
      throw setting ? new ConnectionSettingError(setting) : error;
    });
    const detected = await retryForever(
      () => detectWritePath(pool, config.database.queryTimeoutMs),
      {
        initialMs: config.retry.initialBackoffMs,
        maxMs: config.retry.maxBackoffMs,
        shouldRetry: e => classifyDbError(e) === 'transient',
        onRetry: (e, attempt) =>
          logger.warn(
            { err: (e as Error).message, attempt },
            'database not reachable; retrying the COPY probe',
          ),
        abortReason: () => (stopping ? 'stopping' : undefined),
      },
    );
    store.path = detected.path;
    logger.info(
      { writePath: detected.path, reason: detected.reason },
      `batches are written with ${
        detected.path === 'copy' ? 'COPY into a staging table' : 'statements'
      }`,
    );
    const admin = kafka.admin();
    const existing = await connectKafkaAdmin(admin, config.kafka);
    await admin.disconnect();
    // The sink never creates a topic: one created here would get the broker's
    // default retention and partitions. The bridge provisions them (the
    // contracts' README, "Who creates topics").
    requireTopics(
      existing,
      [...tables.keys(), config.kafka.dlqTopic],
      'streams.<stream>.topic and kafka.dlqTopic name them',
    );
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

  /**
   * Why a partition waits instead of retrying its write: kafkajs does not
   * fetch again until every batch of the last fetch is handled, and a lane
   * retrying forever would hold the next chunk's eachBatch (waiting for
   * room), so one partition would starve every other topic. A partition
   * that cannot write (database or Kafka unreachable) drops the chunks it
   * fetched ahead, is paused and sought back to the chunk that failed; a
   * timer resumes it after a backoff, and kafkajs fetches it again from
   * there, so the chunk is replayed (harmlessly) while the rest of the group
   * keeps flowing. Only unavailability is waited for; every other error of
   * the data is bounded inside deliverChunk.
   */
  const waits = new Map<string, PartitionWait>();

  function waitAndRetry(
    topic: string,
    partition: number,
    err: unknown,
    what: 'database' | 'kafka' | 'unexpected',
    fromOffset: string,
  ) {
    const key = `${topic}:${partition}`;
    // The fetch position is past the chunks fetched ahead: they are dropped,
    // and kafkajs reads the partition again from the failed chunk on resume.
    writes.drop(key);
    const wait = waits.get(key) ?? { attempt: 0 };
    waits.set(key, wait);
    wait.attempt++;
    metrics.waiting.set(waits.size);
    const cls = what === 'database' ? classifyDbError(err) : what;
    metrics.dbRetries.inc({ class: cls });
    const delayMs = backoffDelay(wait.attempt - 1, {
      initialMs: config.retry.initialBackoffMs,
      maxMs: config.retry.maxBackoffMs,
    });
    let log = logger.debug.bind(logger);
    if (what === 'unexpected') log = logger.error.bind(logger);
    else if (wait.attempt === 1 || wait.attempt % 10 === 0)
      log = logger.warn.bind(logger);
    log(
      {
        err: (err as Error).message,
        class: cls,
        attempt: wait.attempt,
        delayMs,
        topic,
        partition,
      },
      `${
        what === 'unexpected'
          ? 'writing the batch failed unexpectedly'
          : `${what} unavailable`
      }; partition paused, retries in ${delayMs} ms`,
    );
    const tp = [{ topic, partitions: [partition] }];
    consumer.pause(tp);
    try {
      consumer.seek({ topic, partition, offset: fromOffset });
    } catch (e) {
      // Only when the consumer is no longer running: the partition's next
      // owner starts from the committed offset anyway.
      logger.debug({ err: (e as Error).message }, 'seek after a failed write');
    }
    clearTimeout(wait.timer);
    // Waiting cannot fix a bug: after as many tries as a refused record gets,
    // the partition stays paused (nothing behind the chunk is committed) and
    // /health stops reporting live, so the orchestrator restarts the sink and
    // the error stays in front of an operator.
    if (what === 'unexpected' && wait.attempt >= config.retry.recordAttempts) {
      crashed = `writing ${key} failed ${wait.attempt} times: ${
        (err as Error).message
      }`;
      logger.error(
        { topic, partition, attempt: wait.attempt },
        `${crashed}; partition stays paused, the sink reports not live`,
      );
      return;
    }
    wait.timer = setTimeout(() => {
      wait.timer = undefined;
      if (!stopping) consumer.resume(tp);
    }, delayMs);
  }

  /**
   * A paused partition the group gave to another member is no longer ours
   * to wait for; kafkajs would keep it paused if it ever came back, so it is
   * resumed, and health stops counting it.
   */
  consumer.on(consumer.events.GROUP_JOIN, e => {
    writes.dropAll();
    const assigned = e.payload.memberAssignment;
    logger.debug(
      { memberId: e.payload.memberId, assigned },
      'joined the consumer group',
    );
    for (const [key, wait] of waits) {
      const [topic, p] = [
        key.slice(0, key.lastIndexOf(':')),
        key.slice(key.lastIndexOf(':') + 1),
      ];
      if (assigned[topic]?.includes(Number(p))) continue;
      clearTimeout(wait.timer);
      consumer.resume([{ topic, partitions: [Number(p)] }]);
      waits.delete(key);
    }
    metrics.waiting.set(waits.size);
  });

  function resumed(topic: string, partition: number) {
    const key = `${topic}:${partition}`;
    const wait = waits.get(key);
    if (!wait) return;
    clearTimeout(wait.timer);
    waits.delete(key);
    metrics.waiting.set(waits.size);
    logger.info(
      { topic, partition, attempts: wait.attempt },
      'writes succeed again; partition resumed',
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
    const ctx: DeliveryContext = {
      table,
      store,
      dlq,
      metrics,
      logger,
      group: config.kafka.group,
      recordAttempts: config.retry.recordAttempts,
      conflictLogLimit: config.conflicts.logPerBatch,
      heartbeat: () => heartbeat().catch(() => undefined),
      onBatch: options.onBatch,
    };
    const position = {
      topic: fetched.topic,
      partition: fetched.partition,
      highWatermark: fetched.highWatermark,
      commit: (offset: string) =>
        consumer.commitOffsets([
          { topic: fetched.topic, partition: fetched.partition, offset },
        ]),
    };
    const lane = `${fetched.topic}:${fetched.partition}`;
    const write = (messages: SourceMessage[]) => async () => {
      // Stop between chunks, never inside one: the chunk in flight finishes.
      if (stopping) return;
      try {
        await deliverChunk(messages, position, ctx);
      } catch (e) {
        // Nothing of this chunk was committed; it is read again on resume.
        // An error that is neither Kafka's nor an outage of the database is
        // a bug; it waits the same way (nothing after this chunk may be
        // committed before it), where kafkajs restarted the consumer when
        // eachBatch itself wrote and threw.
        let what: 'kafka' | 'database' | 'unexpected' = 'unexpected';
        if (e instanceof KafkaJSError) what = 'kafka';
        else if (classifyDbError(e) === 'transient') what = 'database';
        waitAndRetry(
          fetched.topic,
          fetched.partition,
          e,
          what,
          messages[0].offset,
        );
        return;
      }
      resumed(fetched.topic, fetched.partition);
      await heartbeat().catch(() => undefined);
    };
    for (const part of chunk(fetched.messages, batch.maxRows)) {
      if (stopping || !isRunning() || isStale()) return;
      const messages: SourceMessage[] = part.map(m => ({
        topic: fetched.topic,
        partition: fetched.partition,
        offset: m.offset,
        key: m.key,
        value: m.value,
        headers: m.headers,
      }));
      const pushed = await writes.push(lane, write(messages));
      // Dropped while waiting for room (a failed write, a rejoin, a stop):
      // the position stays, so this is fetched again.
      if (!pushed) return;
      if (batch.writeAhead === 0) await pushed.done;
    }
    if (stopping || !isRunning() || isStale()) return;
    // The fetch position moves on; the group's offset moves only when
    // delivery.ts has stored the chunk and commits it.
    const last = fetched.messages[fetched.messages.length - 1];
    if (last) resolveOffset(last.offset);
  }

  function health(): HealthReport {
    return {
      live: crashed === undefined,
      ready: consuming && !stopping && waits.size === 0,
      details: {
        migrated: sink.migration !== undefined,
        timescale: sink.migration?.timescale ?? null,
        writePath: store.path,
        consuming,
        partitionsWaitingForDatabase: [...waits.keys()],
        ...(crashed ? { crashed } : {}),
      },
    };
  }

  async function stop(reason: string) {
    stopping = true;
    for (const wait of waits.values()) clearTimeout(wait.timer);
    logger.info({ reason }, 'finishing the batch in flight');
    // Chunks not started are left uncommitted and read again by the next
    // owner of the partition; the ones being written finish and commit
    // before the consumer leaves (its commits need the running consumer).
    writes.dropAll();
    await writes.idle();
    // disconnect() waits for eachBatch to return.
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
