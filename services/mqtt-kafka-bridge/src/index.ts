/**
 * mqtt-kafka-bridge: MQTT → Kafka, at least once.
 *
 * @packageDocumentation
 */
export { startBridge } from './bridge';
export type { RunningBridge } from './bridge';
export { bridgeConfigSchema, loadBridgeConfig } from './config';
export type { BridgeConfig } from './config';
export { normalise } from './normalise';
export type { DeadLetterClass } from './normalise';
export { DLQ_ORIGINAL_BYTES_HEADER, DLQ_SHA256_HEADER } from './kafkaMessage';
