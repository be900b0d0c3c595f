import { Counter } from 'prom-client';
import { BridgeConfig } from './config';
import { DeviceClock } from './deviceClock';
import { DeviceBounds } from './deviceBounds';
import { kafkaErrorType } from './kafkaErrors';
import {
  OutgoingMessage,
  deadLetterMessage,
  estimatedBytes,
  recordMessage,
} from './kafkaMessage';
import { BridgeMetrics } from './metrics';
import {
  DeadLetterClass,
  MqttMessage,
  Rejection,
  normalise,
} from './normalise';
import { Route, routeFinder } from './route';

/** A message ready for Kafka, and what is needed once Kafka has it (or refused it). */
export interface Converted {
  out: OutgoingMessage;
  counter: Counter.Internal;
  source: MqttMessage;
  /** Set on dead letters: their class, and whether the payload was left out. */
  deadLetter?: { errorClass: DeadLetterClass; bare: boolean };
}

export interface ConverterLimits {
  /** Bytes one Kafka message may take (kafkaLimits.ts requestBudget). */
  maxMessageBytes: number;
  /** The partition a keyed message goes to (kafkaLimits.ts partitionerFor). */
  partitionOf: (topic: string, key: string) => number;
}

/**
 * MQTT message → canonical record for its route's topic, or a dead letter
 * (including for a topic no route matches). Never throws: every message
 * becomes exactly one Kafka message, so every message gets its PUBACK.
 */
export function createConverter(
  config: BridgeConfig,
  routes: Route[],
  metrics: BridgeMetrics,
  limits: ConverterLimits,
) {
  const findRoute = routeFinder(routes);
  const dlqTopic = config.kafka.topics.dlq.name;
  const clock = new DeviceClock();
  const bounds: DeviceBounds = {
    maxDeviceIdBytes: config.limits.maxDeviceIdBytes,
    deviceIdPattern: new RegExp(config.limits.deviceIdPattern, 'u'),
    maxFields: config.limits.maxFields,
    maxFieldNameBytes: config.limits.maxFieldNameBytes,
    maxDepth: config.limits.maxDepth,
  };
  const received = new Map<string, Counter.Internal>();
  const produced = new Map<string, Counter.Internal>();
  const dead = new Map<string, Counter.Internal>();
  const child = (
    cache: Map<string, Counter.Internal>,
    counter: Counter<string>,
    label: string,
  ) => {
    let c = cache.get(label);
    if (!c) cache.set(label, (c = counter.labels(label)));
    return c;
  };
  // murmur2 for every message showed in the profile; a key keeps its
  // partition for the life of the process (kafkaLimits.ts), so it is
  // remembered, for at most as many keys as the device clock remembers.
  const partitions = new Map<string, Map<string, number>>();
  const partitionOf = (topic: string, key: string): number => {
    let byKey = partitions.get(topic);
    if (!byKey) partitions.set(topic, (byKey = new Map()));
    let partition = byKey.get(key);
    if (partition === undefined) {
      if (byKey.size >= 100_000) byKey.clear();
      partition = limits.partitionOf(topic, key);
      byKey.set(key, partition);
    }
    return partition;
  };
  const placed = (out: OutgoingMessage): OutgoingMessage => {
    out.message.partition = partitionOf(out.topic, String(out.message.key));
    return out;
  };
  const stampTimeless = (device: string, ms: number) => clock.stamp(device, ms);
  const deadLetter = (
    m: MqttMessage,
    rejection: Rejection & { deviceId?: string },
    nowMs: number,
    bare = false,
  ): Converted => ({
    out: placed(
      deadLetterMessage(dlqTopic, m, rejection, {
        bridgeId: config.bridgeId,
        nowMs,
        maxBytes: limits.maxMessageBytes,
        maxValueBytes: config.limits.maxPayloadBytes,
        withPayload: !bare,
      }),
    ),
    counter: child(dead, metrics.deadLettered, rejection.errorClass),
    source: m,
    deadLetter: { errorClass: rejection.errorClass, bare },
  });

  const convert = (m: MqttMessage, nowMs: number): Converted => {
    const route = findRoute(m.topic);
    child(received, metrics.messagesIn, route?.stream ?? 'unrouted').inc();
    if (!route) {
      return deadLetter(
        m,
        {
          errorClass: 'unknown-topic',
          reason: `no route matches MQTT topic "${m.topic.slice(0, 256)}"`,
        },
        nowMs,
      );
    }
    const result = normalise(route, m, {
      bridgeId: config.bridgeId,
      maxPayloadBytes: config.limits.maxPayloadBytes,
      maxFutureMs: config.limits.maxFutureMs,
      nowMs,
      bounds,
      stampTimeless,
    });
    if (!result.ok) return deadLetter(m, result, nowMs);
    const out = recordMessage(route.topic, result.record, m);
    const size = estimatedBytes(out.message);
    out.bytes = size;
    if (size > limits.maxMessageBytes)
      return deadLetter(
        m,
        {
          errorClass: 'too-large',
          reason: `record is ${size} bytes, over Kafka's limit of ${limits.maxMessageBytes}`,
          deviceId: result.record.device_id,
        },
        nowMs,
      );
    return {
      out: placed(out),
      counter: child(produced, metrics.produced, route.topic),
      source: m,
    };
  };

  /**
   * The dead letter for a message Kafka refused (see batch.ts): first with
   * the payload (cut to fit), then without it; after that there is nothing
   * smaller to send.
   */
  const refused = (item: Converted, err: unknown): Converted | undefined => {
    if (item.deadLetter?.bare) return undefined;
    const type = kafkaErrorType(err) ?? 'unknown error';
    const what = item.deadLetter
      ? `its dead letter (${item.deadLetter.errorClass})`
      : 'its record';
    return deadLetter(
      item.source,
      {
        errorClass: 'kafka-rejected',
        reason: `Kafka refused ${what}: ${type}: ${(err as Error).message}`,
        deviceId: item.out.message.key?.toString(),
      },
      Date.now(),
      item.deadLetter !== undefined,
    );
  };

  return { convert, refused };
}
