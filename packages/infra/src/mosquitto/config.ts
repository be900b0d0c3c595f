import { HOST } from '../ports';

/**
 * mosquitto.conf for the bridge's at-least-once guarantee: a QoS 1 message
 * for a persistent session must survive the subscriber being offline, a burst,
 * and a broker restart. See README "Mosquitto settings" for each line's reason.
 * The queue limit is Mosquitto's stock one unless the caller asks otherwise.
 */
/** Mosquitto's own default: a test that needs more must say why. */
export const STOCK_MAX_QUEUED_MESSAGES = 1000;

/** A TLS listener with a password file, beside the plain one (files already readable by mosquitto). */
export interface TlsListenerConfig {
  port: number;
  certFile: string;
  keyFile: string;
  passwordFile: string;
  /** When set, clients must also present a certificate signed by this CA. */
  clientCaFile?: string;
}

export function mosquittoConfig(
  port: number,
  persistenceDir: string,
  maxQueuedMessages = STOCK_MAX_QUEUED_MESSAGES,
  tls?: TlsListenerConfig,
): string {
  // With a TLS listener, each listener gets its own auth: the plain one (used
  // by health checks) stays anonymous, the TLS one needs a password.
  const listeners = tls
    ? [
        'per_listener_settings true',
        `listener ${port} ${HOST}`,
        'allow_anonymous true',
        `listener ${tls.port} ${HOST}`,
        `certfile ${tls.certFile}`,
        `keyfile ${tls.keyFile}`,
        'allow_anonymous false',
        `password_file ${tls.passwordFile}`,
        ...(tls.clientCaFile
          ? [`cafile ${tls.clientCaFile}`, 'require_certificate true']
          : []),
      ]
    : [`listener ${port} ${HOST}`, 'allow_anonymous true'];
  return [
    ...listeners,
    // Sessions and their queued messages are written to disk and reloaded by restart().
    'persistence true',
    `persistence_location ${
      persistenceDir.endsWith('/') ? persistenceDir : `${persistenceDir}/`
    }`,
    'autosave_interval 1',
    // Stock limits, as a user's broker has them: past this many queued QoS 1/2
    // messages per session Mosquitto drops new ones, and tests must see that.
    `max_queued_messages ${maxQueuedMessages}`,
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
