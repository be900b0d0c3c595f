/**
 * The TimescaleDB sink: Kafka stream topics into hypertables, idempotent and
 * batched, with offsets committed only after the database commit.
 *
 * @packageDocumentation
 */
export * from './config';
export * from './sink';
export * from './hypertable';
export * from './migrations';
export * from './errors';
export * from './batch';
export * from './dlq';
export * from './delivery';
