/**
 * The Backstage side of the streaming plugins: permissions, entity
 * annotations and the HTTP API's shapes. The agreements between processes
 * (streams, topics, the canonical record, headers, the WebSocket frames,
 * the live token) live in `@homelab/pipeline-contracts`; they are re-exported
 * here so a plugin needs one import.
 *
 * @packageDocumentation
 */
export * from '@homelab/pipeline-contracts';
export * from './annotations';
export * from './permissions';
export * from './api';
export * from './live';
