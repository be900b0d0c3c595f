import { Counter } from 'prom-client';
import { BridgeConfig } from './config';
import {
  OutgoingMessage,
  deadLetterMessage,
  recordMessage,
} from './kafkaMessage';
import { BridgeMetrics } from './metrics';
import { MqttMessage, Rejection, normalise } from './record';
import { Route, routeFinder } from './route';

/** A message ready for Kafka, and the counter to bump once Kafka has it. */
export interface Converted {
  out: OutgoingMessage;
  counter: Counter.Internal;
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
) {
  const findRoute = routeFinder(routes);
  const dlqTopic = config.kafka.topics.dlq.name;
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
  const deadLetter = (
    m: MqttMessage,
    rejection: Rejection & { deviceId?: string },
    nowMs: number,
  ): Converted => ({
    out: deadLetterMessage(dlqTopic, m, rejection, {
      bridgeId: config.bridgeId,
      nowMs,
      maxValueBytes: config.limits.maxPayloadBytes,
    }),
    counter: child(dead, metrics.deadLettered, rejection.errorClass),
  });

  return (m: MqttMessage, nowMs: number): Converted => {
    const route = findRoute(m.topic);
    child(received, metrics.messagesIn, route?.stream ?? 'unrouted').inc();
    if (!route) {
      return deadLetter(
        m,
        {
          errorClass: 'unknown-topic',
          reason: `no route matches MQTT topic "${m.topic}"`,
        },
        nowMs,
      );
    }
    const result = normalise(route, m, {
      bridgeId: config.bridgeId,
      maxPayloadBytes: config.limits.maxPayloadBytes,
      maxFutureMs: config.limits.maxFutureMs,
      nowMs,
    });
    if (!result.ok) return deadLetter(m, result, nowMs);
    return {
      out: recordMessage(route.topic, result.record, m),
      counter: child(produced, metrics.produced, route.topic),
    };
  };
}
