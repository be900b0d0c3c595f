import {
  connectKafkaAdmin,
  HealthReport,
  kafkaClientOptions,
  Logger,
  startOpsServer,
} from '@homelab/service-kit';
import { Kafka } from 'kafkajs';
import { Batcher } from './batch';
import { BridgeConfig, resolveRoutes } from './config';
import { DeliveryLedger, Ticket } from './delivery';
import { Converted, createConverter } from './convert';
import { isRecordError, kafkaErrorType } from './kafkaErrors';
import {
  TopicFacts,
  partitionerFor,
  readTopicFacts,
  requestBudget,
} from './kafkaLimits';
import { createMetrics } from './metrics';
import { KafkaWriter } from './KafkaWriter';
import { shareFilter, unshare } from './route';
import { Subscriber, startSubscriber } from './subscriber';
import {
  provisionTopics,
  type TopicMismatch,
} from '@homelab/pipeline-contracts';

export interface RunningBridge {
  stop(reason: string): Promise<void>;
  opsPort: number;
}

/** Bounded wait; resolves false on timeout instead of throwing. */
function within(ms: number, p: Promise<unknown>): Promise<boolean> {
  return new Promise(resolve => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      () => {
        clearTimeout(t);
        resolve(false);
      },
    );
  });
}

/**
 * MQTT in → normalise → Kafka out, with the PUBACK as the acknowledgement
 * (see delivery.ts for when that happens).
 */
export async function startBridge(
  config: BridgeConfig,
  logger: Logger,
): Promise<RunningBridge> {
  // The ledger needs the metrics, and the pending gauge reads the ledger at scrape time.
  let pendingAcks = () => 0;
  const metrics = createMetrics(() => pendingAcks());
  const routes = resolveRoutes(config);
  const topics = config.kafka.topics;
  const kafka = new Kafka({
    ...kafkaClientOptions(config.kafka, logger, {
      // Bounded retries are deliberate: see KafkaWriter.
      ignore: message =>
        message.startsWith('Limiting retries for the idempotent producer'),
    }),
    connectionTimeout: 3000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3000 },
  });

  let mismatches: TopicMismatch[] = [];
  const admin = kafka.admin();
  await connectKafkaAdmin(admin, config.kafka);
  let facts: TopicFacts;
  try {
    if (config.kafka.provisionTopics) {
      const plans = Object.values(topics).map(t => ({
        name: t.name,
        partitions: t.partitions,
        replicationFactor: t.replicationFactor,
        retentionMs: t.retentionMs,
        segmentMs: t.segmentMs,
      }));
      const result = await provisionTopics(admin, plans);
      mismatches = result.mismatches;
      if (result.created.length)
        logger.info({ topics: result.created }, 'created Kafka topics');
      for (const m of mismatches) {
        metrics.topicConfigDrift.set({ topic: m.topic, setting: m.setting }, 1);
        logger.warn(
          m,
          'existing Kafka topic differs from config; leaving it unchanged',
        );
      }
    }
    facts = await readTopicFacts(
      admin,
      Object.values(topics).map(t => t.name),
    );
  } finally {
    await admin.disconnect();
  }
  const maxBatchBytes = requestBudget(facts, config.kafka.batch.maxBytes);
  logger.info(
    {
      maxBatchBytes,
      maxMessageBytes: Object.fromEntries(facts.maxMessageBytes),
    },
    'Kafka byte limits read',
  );

  let kafkaUp = false;
  let mqttUp = false;
  metrics.connected.set({ peer: 'kafka' }, 0);
  metrics.connected.set({ peer: 'mqtt' }, 0);
  const writer = new KafkaWriter(kafka, {
    requestTimeoutMs: config.kafka.requestTimeoutMs,
    onState: up => {
      if (up !== kafkaUp)
        logger.info(
          { up },
          up ? 'Kafka reachable' : 'Kafka unreachable; holding PUBACKs',
        );
      kafkaUp = up;
      metrics.connected.set({ peer: 'kafka' }, up ? 1 : 0);
    },
  });
  // eslint-disable-next-line prefer-const
  let subscriber: Subscriber;
  const ledger = new DeliveryLedger(
    messageId => subscriber.puback(messageId),
    ticket => {
      if (ticket.messageId !== undefined) metrics.pubacks.inc();
      metrics.deliveryLatency.observe(
        (Date.now() - ticket.receivedAtMs) / 1000,
      );
    },
  );

  pendingAcks = () => ledger.pending;

  const { convert, refused } = createConverter(config, routes, metrics, {
    maxMessageBytes: maxBatchBytes,
    partitionOf: partitionerFor(facts),
  });
  type Meta = Omit<Converted, 'out'> & { ticket: Ticket };
  const batcher = new Batcher<Meta>({
    acked: items => {
      // One inc per run of the same counter: a batch is mostly one topic.
      let counter: Meta['counter'] | undefined;
      let n = 0;
      for (const { meta } of items) {
        if (meta.counter !== counter) {
          counter?.inc(n);
          counter = meta.counter;
          n = 0;
        }
        n++;
        ledger.delivered(meta.ticket);
      }
      counter?.inc(n);
      subscriber.resume();
    },
    maxMessages: config.kafka.batch.maxMessages,
    maxBytes: maxBatchBytes,
    lingerMs: config.kafka.batch.lingerMs,
    send: writer.send,
    isRecordError,
    isStale: meta => ledger.isStale(meta.ticket),
    replace: (item, err) => {
      const dead = refused({ ...item.meta, out: item.out }, err);
      return (
        dead && { out: dead.out, meta: { ...dead, ticket: item.meta.ticket } }
      );
    },
    undeliverable: (item, err) => {
      // Kafka refused even a dead letter without payload: say so loudly, and let the flow go on.
      metrics.undeliverable.inc();
      logger.error(
        {
          err: (err as Error).message,
          mqttTopic: item.meta.source.topic.slice(0, 256),
          payloadBytes: item.meta.source.payload.length,
        },
        'Kafka refused the message and every dead letter for it; acknowledging it so the bridge goes on',
      );
      ledger.delivered(item.meta.ticket);
    },
    onSent: (n, ms) => {
      metrics.produceLatency.observe(ms / 1000);
      metrics.batchSize.observe(n);
    },
    onFailed: (err, attempt) => {
      metrics.produceFailures.inc();
      logger.warn(
        { err: (err as Error).message, attempt },
        'produce failed; retrying the batch',
      );
    },
    onIsolated: (err, n) => {
      metrics.recordErrors.inc({ type: kafkaErrorType(err) ?? 'unknown' });
      logger.warn(
        { err: (err as Error).message, batch: n },
        'Kafka refused a record; resending the batch by partition to find and dead-letter it',
      );
    },
  });

  const filters = [
    ...new Set([
      ...routes.map(r => r.filter),
      ...config.mqtt.extraSubscriptions,
    ]),
  ].map(f => shareFilter(unshare(f), config.mqtt.sharedGroup));
  subscriber = startSubscriber(
    {
      ...config.mqtt,
      filters,
      maxPending: config.limits.maxPending,
      maxPendingBytes: config.limits.maxPendingBytes,
      logger,
    },
    {
      onMessage(m, messageId) {
        if (batcher.isStopped) {
          // Only QoS 0 can still arrive here (QoS 1 reading is paused); nobody will resend it.
          metrics.qos0Lost.inc();
          logger.warn(
            { mqttTopic: m.topic },
            'QoS 0 message arrived during shutdown and is lost',
          );
          return;
        }
        const nowMs = Date.now();
        const ticket = ledger.receive(messageId, nowMs, m.payload.length);
        const c = convert(m, nowMs);
        // Named fields, not rest and spread: this runs for every message.
        batcher.add({
          out: c.out,
          meta: {
            counter: c.counter,
            source: c.source,
            deadLetter: c.deadLetter,
            ticket,
          },
        });
      },
      onSessionLost() {
        metrics.sessionLost.inc();
      },
      onConnection(up) {
        if (!up) {
          const abandoned = ledger.abandon();
          // Mosquitto redelivers them on the next connection: holding them too would grow with every reconnect.
          batcher.dropStale();
          if (abandoned > 0) {
            metrics.abandoned.inc(abandoned);
            logger.warn(
              { abandoned },
              'MQTT connection lost with unacknowledged messages; Mosquitto will redeliver them',
            );
          }
        }
        mqttUp = up;
        metrics.connected.set({ peer: 'mqtt' }, up ? 1 : 0);
      },
      // The batcher also holds QoS 0 items of earlier connections: bound both.
      pending: () => Math.max(ledger.pending, batcher.size),
      pendingBytes: () => ledger.pendingBytes,
    },
  );

  try {
    // Wrong credentials or TLS settings stop the start; an unreachable Mosquitto is waited for.
    await subscriber.firstConnection;
  } catch (error) {
    await within(3_000, subscriber.end());
    await within(3_000, batcher.stop());
    await within(3_000, writer.close());
    throw error;
  }

  const health = (): HealthReport => ({
    live: true,
    ready: mqttUp && subscriber.subscribed && (kafkaUp || batcher.size === 0),
    details: {
      mqtt: {
        connected: mqttUp,
        subscribed: subscriber.subscribed,
        problem: subscriber.problem,
      },
      kafka: { lastProduceOk: kafkaUp, queued: batcher.size },
      pendingAcks: ledger.pending,
      topicMismatches: mismatches,
    },
  });
  const ops = await startOpsServer({
    host: config.ops.host,
    port: config.ops.port,
    registry: metrics.registry,
    health,
  });
  logger.info(
    { opsPort: ops.port, filters, brokers: config.kafka.brokers },
    'bridge started',
  );

  return {
    opsPort: ops.port,
    async stop() {
      // 1. Take nothing new: later PUBLISHes stay at Mosquitto, unacknowledged.
      subscriber.pause();
      // 2. Let Kafka acknowledge what we hold; each ack releases its PUBACK in order.
      const flushed = await within(10_000, batcher.flushed());
      if (!flushed)
        logger.warn(
          { unacknowledged: ledger.pending },
          'Kafka did not acknowledge everything in time',
        );
      // 3. Leave; whatever is still unacknowledged is redelivered to the next bridge.
      await within(3_000, subscriber.end());
      await within(3_000, batcher.stop());
      await within(3_000, writer.close());
      await ops.close();
    },
  };
}
