/**
 * Backend of the streaming plugin: Kafka consumer-group lag and topics, and
 * TimescaleDB hypertable stats, for catalog entities.
 *
 * @packageDocumentation
 */
export { streamingPlugin as default } from './plugin';
