import type { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_CONSUMES_TOPICS,
  ANNOTATION_DLQ_TOPICS,
  ANNOTATION_HYPERTABLES,
  ANNOTATION_KAFKA_CONSUMER_GROUPS,
  ANNOTATION_PIPELINE,
  ANNOTATION_PRODUCES_TOPICS,
} from '@homelab/plugin-streaming-common';

/**
 * True when the entity names consumer groups or topics, i.e. when the Kafka
 * tab has something to show. For `EntitySwitch.Case if={…}` in legacy apps.
 *
 * @public
 */
export function isStreamingKafkaAvailable(entity: Entity): boolean {
  const a = entity.metadata.annotations ?? {};
  return Boolean(
    a[ANNOTATION_KAFKA_CONSUMER_GROUPS] ||
      a[ANNOTATION_PRODUCES_TOPICS] ||
      a[ANNOTATION_CONSUMES_TOPICS],
  );
}

/** @public */
export function isStreamingKafkaLagAvailable(entity: Entity): boolean {
  return Boolean(
    entity.metadata.annotations?.[ANNOTATION_KAFKA_CONSUMER_GROUPS],
  );
}

/** @public */
export function isStreamingTimescaleAvailable(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[ANNOTATION_HYPERTABLES]);
}

/** True when the entity names a dead-letter topic (the Dead letters tab). @public */
export function isStreamingDlqAvailable(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[ANNOTATION_DLQ_TOPICS]);
}

/** The entity names a pipeline (`streaming.homelab.dev/pipeline`): the System gets the Pipeline tab, its services the card. @public */
export function isStreamingPipelineAvailable(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[ANNOTATION_PIPELINE]);
}
