import { z } from 'zod';
import { ConfigError } from './config';
import {
  ConfigCasing,
  errorChain,
  inlineOrFile,
  keyName,
  tlsFailure,
} from './secretSource';

/**
 * A start-up failure a setting can fix (a password, a CA, TLS on or off).
 * Waiting cannot fix it, so the service stops with one line naming the key
 * instead of retrying in silence; it prints like a ConfigError (exit code 2).
 */
export class ConnectionSettingError extends ConfigError {
  constructor(message: string) {
    super(`connection error: ${message}`);
    this.name = 'ConnectionSettingError';
  }
}

/** Env substitution yields strings, and `Boolean("false")` is true. */
const flag = z.union([
  z.boolean(),
  z.enum(['true', 'false']).transform(v => v === 'true'),
]);

/** Node TLS options kafkajs passes to tls.connect; the server is always verified. */
export interface KafkaTlsOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: true;
}

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSaslOptions {
  mechanism: KafkaSaslMechanism;
  username: string;
  password: string;
}

/**
 * `kafka.ssl`: the shape of the backend plugin's `kafka.clusters[].ssl`
 * (`true`, or `ca`/`cert`/`key`), plus `…File` variants so that keys and
 * certificates come from mounted files, and `servername` for SNI. There is no
 * way to turn verification off: give the cluster's CA instead.
 */
export function kafkaSslSchema(casing: ConfigCasing) {
  const k = (name: string) => keyName(casing, name);
  const pem = z.string().min(1);
  const block = z
    .object({
      ca: z.union([pem, z.array(pem).min(1)]).optional(),
      [k('caFile')]: z.string().min(1).optional(),
      cert: pem.optional(),
      [k('certFile')]: z.string().min(1).optional(),
      key: pem.optional(),
      [k('keyFile')]: z.string().min(1).optional(),
      servername: z.string().min(1).optional(),
      [k('rejectUnauthorized')]: z
        .literal(true, {
          message: `cannot be turned off; give the cluster's CA in ${k(
            'caFile',
          )} instead`,
        })
        .optional(),
    })
    .strict()
    .transform((raw, ctx): KafkaTlsOptions => {
      const r = raw as Record<string, any>;
      const caFromFile = inlineOrFile(
        { file: r[k('caFile')] },
        { inline: 'ca', file: k('caFile') },
        ctx,
        [],
      );
      if (r.ca !== undefined && caFromFile !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [k('caFile')],
          message: `give either ca or ${k('caFile')}, not both`,
        });
      const ca =
        caFromFile !== undefined
          ? [caFromFile]
          : r.ca === undefined
          ? undefined
          : [r.ca].flat();
      const cert = inlineOrFile(
        { inline: r.cert, file: r[k('certFile')] },
        { inline: 'cert', file: k('certFile') },
        ctx,
        [],
      );
      const key = inlineOrFile(
        { inline: r.key, file: r[k('keyFile')] },
        { inline: 'key', file: k('keyFile') },
        ctx,
        [],
      );
      if ((cert === undefined) !== (key === undefined))
        ctx.addIssue({
          code: 'custom',
          path: [cert === undefined ? k('certFile') : k('keyFile')],
          message: 'a client certificate needs both cert and key',
        });
      return {
        ...(ca && { ca }),
        ...(cert && { cert }),
        ...(key && { key }),
        ...(r.servername && { servername: r.servername }),
        rejectUnauthorized: true,
      };
    });
  return z.union([
    flag.transform(on =>
      on ? ({ rejectUnauthorized: true } as KafkaTlsOptions) : undefined,
    ),
    block,
  ]);
}

/** `kafka.sasl`: as the backend plugin's, with `passwordFile` for a mounted secret. */
export function kafkaSaslSchema(casing: ConfigCasing) {
  const k = (name: string) => keyName(casing, name);
  return z
    .object({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512'], {
        message: 'must be plain, scram-sha-256 or scram-sha-512',
      }),
      username: z.string().min(1),
      password: z.string().min(1).optional(),
      [k('passwordFile')]: z.string().min(1).optional(),
    })
    .strict()
    .transform((raw, ctx): KafkaSaslOptions => {
      const r = raw as Record<string, any>;
      const password = inlineOrFile(
        { inline: r.password, file: r[k('passwordFile')] },
        { inline: 'password', file: k('passwordFile') },
        ctx,
        [],
        { trim: true },
      );
      if (password === undefined && r[k('passwordFile')] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['password'],
          message: `is required with sasl: give password (e.g. \${KAFKA_SASL_PASSWORD}) or ${k(
            'passwordFile',
          )}`,
        });
      return {
        mechanism: r.mechanism,
        username: r.username,
        password: password ?? '',
      };
    });
}

export interface KafkaSecurity {
  ssl?: KafkaTlsOptions;
  sasl?: KafkaSaslOptions;
}

/** Where the security settings sit in the service's config, for error messages. */
export interface KafkaSettingNames {
  /** The config key of the Kafka block, e.g. `kafka`. */
  prefix: string;
  casing: ConfigCasing;
}

/**
 * Names the setting behind a failed Kafka connection, or undefined when the
 * failure is not one a setting fixes (a broker that is down is waited for).
 */
export function explainKafkaFailure(
  error: unknown,
  security: KafkaSecurity,
  names: KafkaSettingNames,
): string | undefined {
  const { prefix } = names;
  const k = (name: string) => keyName(names.casing, name);
  const chain = errorChain(error);
  const messages = chain.map(e => String(e.message ?? e)).join(' / ');
  const sasl = chain.find(
    e =>
      e.name === 'KafkaJSSASLAuthenticationError' ||
      /SASL .*authentication failed/i.test(String(e.message)),
  );
  if (sasl && security.sasl) {
    const message = String(sasl.message);
    if (/mechanism/i.test(message) && !/authentication failed/i.test(message))
      return `${prefix}.sasl.mechanism: the broker does not accept ${security.sasl.mechanism} (${message})`;
    return `${prefix}.sasl.password: authentication failed for user "${
      security.sasl.username
    }" with ${
      security.sasl.mechanism
    }; check ${prefix}.sasl.username, ${prefix}.sasl.password (or ${k(
      'passwordFile',
    )}) and ${prefix}.sasl.mechanism (${message})`;
  }
  const tls = tlsFailure(error);
  if (tls && security.ssl) {
    if (tls.kind === 'untrusted')
      return `${prefix}.ssl.ca: ${
        tls.detail
      }; give the CA that signed the brokers' certificates in ${prefix}.ssl.${k(
        'caFile',
      )}`;
    if (tls.kind === 'hostname')
      return `${prefix}.ssl.servername: ${tls.detail}; connect by a name the certificate holds, or set ${prefix}.ssl.servername`;
    return `${prefix}.ssl: ${tls.detail}; is this a plaintext listener? Remove ${prefix}.ssl or use the broker's TLS port`;
  }
  // A plaintext client on a TLS or SASL listener: the broker drops the connection without a Kafka answer.
  const dropped =
    /Closed connection|Connection closed|ECONNRESET|socket hang up/i.test(
      messages,
    );
  if (dropped && !security.ssl)
    return `${prefix}.ssl: the broker closed the connection without a Kafka answer; if its listener is TLS (SSL or SASL_SSL), set ${prefix}.ssl (${messages})`;
  if (dropped && !security.sasl)
    return `${prefix}.sasl: the broker closed the connection after TLS; if its listener needs SASL (SASL_SSL), set ${prefix}.sasl (${messages})`;
  return undefined;
}

/**
 * Runs the first connection of a Kafka client: a failure that a setting
 * fixes becomes a ConnectionSettingError naming it; any other is rethrown.
 */
export async function connectKafka<T>(
  connect: () => Promise<T>,
  security: KafkaSecurity,
  names: KafkaSettingNames,
): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    const explained = explainKafkaFailure(error, security, names);
    if (explained) throw new ConnectionSettingError(explained);
    throw error;
  }
}
