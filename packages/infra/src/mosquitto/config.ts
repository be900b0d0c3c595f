import { HOST } from '../ports';

/**
 * mosquitto.conf for the bridge's at-least-once guarantee: a QoS 1 message
 * for a persistent session must survive the subscriber being offline, a burst,
 * and a broker restart. See README "Mosquitto settings" for each line's reason.
 */
export function mosquittoConfig(port: number, persistenceDir: string): string {
  return [
    `listener ${port} ${HOST}`,
    'allow_anonymous true',
    // Sessions and their queued messages are written to disk and reloaded by restart().
    'persistence true',
    `persistence_location ${
      persistenceDir.endsWith('/') ? persistenceDir : `${persistenceDir}/`
    }`,
    'autosave_interval 1',
    // Never drop queued QoS 1/2 messages for an offline persistent session.
    'max_queued_messages 0',
    'max_queued_bytes 0',
    // The default of 20 in flight throttles a bridge that acknowledges after Kafka does.
    'max_inflight_messages 1000',
    'max_inflight_bytes 0',
    // 4 MB: room for the 2 MB payload test; the bridge enforces its own lower limit.
    'max_packet_size 4194304',
    // persistent_client_expiration stays unset: persistent sessions never expire.
    'log_dest stdout',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    'log_timestamp_format %Y-%m-%dT%H:%M:%S',
    '',
  ].join('\n');
}
