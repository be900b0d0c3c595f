/**
 * Every agreement between the homelab's processes: stream and topic names,
 * topic plans and their provisioning, the canonical record and its Kafka
 * headers, dead-letter classes, hypertable and aggregate names, the
 * WebSocket frames and the live token. Free of Backstage, so services and
 * plugins can both depend on it.
 *
 * @packageDocumentation
 */
export * from './streams';
export * from './topics';
export * from './canonicalRecord';
export * from './headers';
export * from './hypertables';
export * from './wsProtocol';
export * from './liveToken';
