/**
 * Contracts shared by the streaming plugins and the homelab services.
 *
 * @packageDocumentation
 */
export * from './streams';
export * from './record';
export * from './headers';
export * from './wsProtocol';
export * from './annotations';
export * from './permissions';
export * from './api';
export * from './live';
