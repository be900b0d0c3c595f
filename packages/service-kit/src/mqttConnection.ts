import { z } from 'zod';
import { ConnectionSettingError } from './kafkaConnection';
import { describeTlsFailure, resolveTlsFiles, tlsFileFields } from './tlsFiles';
import {
  errorChain,
  inlineOrFile,
  optionalText,
  tlsFailure,
} from './secretSource';

/** mqtt.js connect options for TLS and credentials; the broker is always verified. */
export interface MqttSecurity {
  username?: string;
  password?: string;
  ca?: string[];
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: true;
}

/**
 * The TLS and credential keys of an `mqtt` block: `username`, `password` or
 * `passwordFile`, and `tls` with `ca`/`caFile`, `cert`/`certFile`,
 * `key`/`keyFile`, `servername` (the shape of `kafka.ssl`). Spread into the
 * service's own `mqtt` object; `resolveMqttSecurity` reads the files.
 */
export function mqttSecurityShape() {
  return {
    username: optionalText,
    password: optionalText,
    passwordFile: optionalText,
    tls: z.object(tlsFileFields()).strict().optional(),
  };
}

const TLS_SCHEMES = /^(mqtts|wss|ssl|tls):/;

/** What error messages need to know about a connection: its URL, user, and whether it is TLS. */
export function mqttTarget(url: string, security: MqttSecurity) {
  return { url, username: security.username, tls: TLS_SCHEMES.test(url) };
}

/**
 * Resolves an `mqtt` block (already validated with mqttSecurityShape) into
 * mqtt.js options, reading the files. Use inside the block's superRefine or
 * transform so a missing file is reported as `mqtt.tls.caFile: …`.
 */
export function resolveMqttSecurity(
  mqtt: Record<string, any> & { url: string },
  ctx: z.RefinementCtx,
): MqttSecurity {
  const password = inlineOrFile(
    { inline: mqtt.password, file: mqtt.passwordFile },
    { inline: 'password', file: 'passwordFile' },
    ctx,
    [],
    { trim: true },
  );
  if (password !== undefined && mqtt.username === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['username'],
      message: 'is required when a password is given',
    });
  const tls = mqtt.tls as Record<string, string> | undefined;
  if (tls && !TLS_SCHEMES.test(mqtt.url))
    ctx.addIssue({
      code: 'custom',
      path: ['url'],
      message: `is ${
        mqtt.url.split(':')[0]
      }:// but tls is set; use mqtts://host:8883 for a TLS listener`,
    });
  const material = tls ? resolveTlsFiles(tls, ctx, ['tls']) : {};
  return {
    ...(mqtt.username !== undefined && { username: mqtt.username }),
    ...(password !== undefined && { password }),
    ...material,
    rejectUnauthorized: true,
  };
}

/** CONNACK codes (MQTT 5 and 3.1.1) that a setting fixes. */
const BAD_CREDENTIALS = new Set([134, 4]);
const NOT_AUTHORIZED = new Set([135, 5]);

export interface MqttSettingNames {
  prefix: string;
}

/** Names the setting behind a failed MQTT connection, or undefined when waiting may fix it. */
export function explainMqttFailure(
  error: unknown,
  settings: { url: string; username?: string; tls: boolean },
  names: MqttSettingNames,
): string | undefined {
  const { prefix } = names;
  for (const e of errorChain(error)) {
    const code = Number(e.code);
    if (BAD_CREDENTIALS.has(code))
      return `${prefix}.password: authentication failed for user "${
        settings.username ?? ''
      }"; check ${prefix}.username and ${prefix}.password (or passwordFile) (${
        e.message
      })`;
    if (NOT_AUTHORIZED.has(code))
      return settings.username
        ? `${prefix}.password: the broker refused user "${settings.username}" (Mosquitto answers a wrong password this way); check ${prefix}.username and ${prefix}.password (or passwordFile) (${e.message})`
        : `${prefix}.username: the broker refuses anonymous clients; set ${prefix}.username and ${prefix}.password (${e.message})`;
  }
  const tls = tlsFailure(error);
  if (tls && settings.tls)
    return describeTlsFailure(tls, `${prefix}.tls`, `${prefix}.url`);
  return undefined;
}

/** The slice of an mqtt.js client this needs, so service-kit does not depend on mqtt. */
export interface MqttClientEvents {
  on(
    event: 'connect' | 'error' | 'close',
    listener: (arg?: any) => void,
  ): unknown;
  off(
    event: 'connect' | 'error' | 'close',
    listener: (arg?: any) => void,
  ): unknown;
}

/**
 * Waits for a client's first connection. Rejects with a ConnectionSettingError
 * on a failure a setting fixes (credentials, CA, TLS on a plaintext port or the
 * reverse), so the service stops with one line instead of reconnecting in
 * silence. Resolves 'waiting' after `timeoutMs` when the broker is only
 * unreachable: that is waited for, and health says so.
 */
export function firstMqttConnection(
  client: MqttClientEvents,
  settings: { url: string; username?: string; tls: boolean },
  names: MqttSettingNames,
  timeoutMs = 10_000,
): Promise<'connected' | 'waiting'> {
  return new Promise((resolve, reject) => {
    // Each attempt ends in 'close'; this attempt's error, if any, came before it.
    let attemptError: unknown;
    let dropped = 0;
    const onConnect = () => {
      done();
      resolve('connected');
    };
    const onError = (error: unknown) => {
      attemptError = error;
      const explained = explainMqttFailure(error, settings, names);
      if (explained) {
        done();
        reject(new ConnectionSettingError(explained));
      }
    };
    // TLS on one side only shows as a socket the broker accepts and then drops
    // (reset, or closed with no CONNACK). Once is a hiccup; three attempts in a
    // row is the listener. A refused connection is "unreachable" and waited for.
    const onClose = () => {
      const reset =
        attemptError === undefined ||
        errorChain(attemptError).some(e =>
          /ECONNRESET|EPIPE/.test(String(e.code)),
        );
      attemptError = undefined;
      dropped = reset ? dropped + 1 : 0;
      if (dropped < 3) return;
      done();
      reject(
        new ConnectionSettingError(
          settings.tls
            ? `${names.prefix}.url: the broker at ${settings.url} dropped the connection during the TLS handshake; is this a plaintext listener? Use mqtt:// or the broker's TLS port`
            : `${names.prefix}.url: the broker at ${settings.url} closed the connection without answering CONNECT; if its listener is TLS, use mqtts:// (and ${names.prefix}.tls for its CA)`,
        ),
      );
    };
    const timer = setTimeout(() => {
      done();
      resolve('waiting');
    }, timeoutMs);
    function done() {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    }
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}
