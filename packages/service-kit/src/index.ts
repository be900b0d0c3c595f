/**
 * Shared plumbing for the homelab services.
 *
 * @packageDocumentation
 */
export * from './config';
export * from './configSource';
export * from './schemas';
export * from './keyAliases';
export * from './opsServer';
export * from './metrics';
export * from './logger';
export * from './kafkajsLog';
export * from './service';
export * from './secretSource';
export * from './kafkaConnection';
export * from './kafkaClient';
export * from './mqttConnection';
export * from './postgresConnection';
export * from './tlsFiles';
