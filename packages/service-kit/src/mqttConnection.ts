import { z } from 'zod';
import { ConnectionSettingError } from './kafkaConnection';
import {
  ConfigCasing,
  errorChain,
  inlineOrFile,
  keyName,
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
export function mqttSecurityShape(casing: ConfigCasing) {
  const k = (name: string) => keyName(casing, name);
  return {
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    [k('passwordFile')]: z.string().min(1).optional(),
    tls: z
      .object({
        ca: z.string().min(1).optional(),
        [k('caFile')]: z.string().min(1).optional(),
        cert: z.string().min(1).optional(),
        [k('certFile')]: z.string().min(1).optional(),
        key: z.string().min(1).optional(),
        [k('keyFile')]: z.string().min(1).optional(),
        servername: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  };
}

const TLS_SCHEMES = /^(mqtts|wss|ssl|tls):/;

/**
 * Resolves an `mqtt` block (already validated with mqttSecurityShape) into
 * mqtt.js options, reading the files. Use inside the block's superRefine or
 * transform so a missing file is reported as `mqtt.tls.caFile: …`.
 */
export function resolveMqttSecurity(
  mqtt: Record<string, any> & { url: string },
  casing: ConfigCasing,
  ctx: z.RefinementCtx,
): MqttSecurity {
  const k = (name: string) => keyName(casing, name);
  const password = inlineOrFile(
    { inline: mqtt.password, file: mqtt[k('passwordFile')] },
    { inline: 'password', file: k('passwordFile') },
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
  const file = (inline: string, fileKey: string) =>
    tls &&
    inlineOrFile(
      { inline: tls[inline], file: tls[k(fileKey)] },
      { inline, file: k(fileKey) },
      ctx,
      ['tls'],
    );
  const ca = file('ca', 'caFile');
  const cert = file('cert', 'certFile');
  const key = file('key', 'keyFile');
  if ((cert === undefined) !== (key === undefined))
    ctx.addIssue({
      code: 'custom',
      path: ['tls', cert === undefined ? k('certFile') : k('keyFile')],
      message: 'a client certificate needs both cert and key',
    });
  return {
    ...(mqtt.username !== undefined && { username: mqtt.username }),
    ...(password !== undefined && { password }),
    ...(ca && { ca: [ca] }),
    ...(cert && { cert }),
    ...(key && { key }),
    ...(tls?.servername && { servername: tls.servername }),
    rejectUnauthorized: true,
  };
}

/** CONNACK codes (MQTT 5 and 3.1.1) that a setting fixes. */
const BAD_CREDENTIALS = new Set([134, 4]);
const NOT_AUTHORIZED = new Set([135, 5]);

export interface MqttSettingNames {
  prefix: string;
  casing: ConfigCasing;
}

/** Names the setting behind a failed MQTT connection, or undefined when waiting may fix it. */
export function explainMqttFailure(
  error: unknown,
  settings: { url: string; username?: string; tls: boolean },
  names: MqttSettingNames,
): string | undefined {
  const { prefix } = names;
  const k = (name: string) => keyName(names.casing, name);
  for (const e of errorChain(error)) {
    const code = Number(e.code);
    if (BAD_CREDENTIALS.has(code))
      return `${prefix}.password: authentication failed for user "${
        settings.username ?? ''
      }"; check ${prefix}.username and ${prefix}.password (or ${k(
        'passwordFile',
      )}) (${e.message})`;
    if (NOT_AUTHORIZED.has(code))
      return settings.username
        ? `${prefix}.password: the broker refused user "${
            settings.username
          }" (Mosquitto answers a wrong password this way); check ${prefix}.username and ${prefix}.password (or ${k(
            'passwordFile',
          )}) (${e.message})`
        : `${prefix}.username: the broker refuses anonymous clients; set ${prefix}.username and ${prefix}.password (${e.message})`;
  }
  const tls = tlsFailure(error);
  if (tls && settings.tls) {
    if (tls.kind === 'untrusted')
      return `${prefix}.tls.ca: ${
        tls.detail
      }; give the CA that signed the broker's certificate in ${prefix}.tls.${k(
        'caFile',
      )}`;
    if (tls.kind === 'hostname')
      return `${prefix}.tls.servername: ${tls.detail}; connect by a name the certificate holds, or set ${prefix}.tls.servername`;
    return `${prefix}.url: ${tls.detail}; is this a plaintext listener? Use mqtt:// or the broker's TLS port`;
  }
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
    let lastError: unknown;
    let closesWithoutAnswer = 0;
    const done = () => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    };
    const onConnect = () => {
      done();
      resolve('connected');
    };
    const onError = (error: unknown) => {
      lastError = error;
      const explained = explainMqttFailure(error, settings, names);
      if (explained) {
        done();
        reject(new ConnectionSettingError(explained));
      }
    };
    // A plaintext CONNECT on a TLS port gets no error, only a dropped socket:
    // the TCP connection opened (no ECONNREFUSED) and closed with no CONNACK.
    const onClose = () => {
      if (lastError === undefined) closesWithoutAnswer++;
      lastError = undefined;
      if (closesWithoutAnswer >= 2 && !settings.tls) {
        done();
        reject(
          new ConnectionSettingError(
            `${names.prefix}.url: the broker at ${settings.url} closed the connection without answering CONNECT; if its listener is TLS, use mqtts:// (and ${names.prefix}.tls for its CA)`,
          ),
        );
      }
    };
    const timer = setTimeout(() => {
      done();
      resolve('waiting');
    }, timeoutMs);
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}
