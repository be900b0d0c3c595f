/**
 * Kafka and TimescaleDB views of catalog entities.
 *
 * The new frontend system plugin is the default export of `@homelab/plugin-streaming/alpha`;
 * this entry point holds the legacy exports.
 *
 * @packageDocumentation
 */
export {
  streamingPlugin,
  EntityStreamingKafkaContent,
  EntityStreamingTimescaleContent,
  EntityKafkaLagCard,
  EntityDataFreshnessCard,
  EntityStreamingLiveContent,
  EntityStreamingDeadLettersContent,
  EntityStreamingPipelineContent,
  EntityPipelineStageCard,
} from './legacy';
export {
  isStreamingDlqAvailable,
  isStreamingKafkaAvailable,
  isStreamingKafkaLagAvailable,
  isStreamingPipelineAvailable,
  isStreamingTimescaleAvailable,
} from './conditions';
export { streamingApiRef, StreamingClient } from './api';
export type { StreamingApi } from './api';
export {
  isStreamingLiveAvailable,
  streamingLiveApiRef,
  StreamingLiveClient,
} from './live';
export type { StreamingLiveApi } from './live';
