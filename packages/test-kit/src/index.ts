/**
 * What the tests of every package share. This entry point runs in a browser
 * test (jsdom) too; the Kafka helpers are in `@homelab/test-kit/kafka`.
 */
export * from './eventually';
export * from './unique';
export * from './canonicalRecord';
