import { z } from 'zod';
import { ConfigError } from './config';
import { describeTlsFailure, resolveTlsFiles, tlsFileFields } from './tlsFiles';
import {
  errorChain,
  inlineOrFile,
  optionalText,
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

/** Node TLS options kafkajs passes to tls.connect; the server is always verified. */
export interface KafkaTlsOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: true;
}

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** One member per mechanism, as kafkajs' SASLOptions is typed. */
export type KafkaSaslOptions = {
  [M in KafkaSaslMechanism]: {
    mechanism: M;
    username: string;
    password: string;
  };
}[KafkaSaslMechanism];

/**
 * `kafka.ssl`: the shape of the backend plugin's `kafka.clusters[].ssl`
 * (`true`, or `ca`/`cert`/`key`), plus `…File` variants so that keys and
 * certificates come from mounted files, and `servername` for SNI. There is no
 * way to turn verification off: give the cluster's CA instead.
 */
export function kafkaSslSchema() {
  const block = z
    .object({
      ...tlsFileFields(),
      rejectUnauthorized: z
        .literal(true, {
          message: `cannot be turned off; give the cluster's CA in caFile instead`,
        })
        .optional(),
    })
    .strict()
    .transform(
      (raw, ctx): KafkaTlsOptions => ({
        ...resolveTlsFiles(raw, ctx),
        rejectUnauthorized: true,
      }),
    );
  // `ssl: true` (or "true" from env substitution) is TLS with the system's CAs.
  return z.preprocess(v => {
    if (v === true || v === 'true') return {};
    if (v === false || v === 'false') return undefined;
    return v;
  }, block.optional());
}

/** `kafka.sasl`: as the backend plugin's, with `passwordFile` for a mounted secret. */
export function kafkaSaslSchema() {
  return z
    .object({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512'], {
        message: 'must be plain, scram-sha-256 or scram-sha-512',
      }),
      username: z.string().min(1),
      password: optionalText,
      passwordFile: optionalText,
    })
    .strict()
    .transform((raw, ctx): KafkaSaslOptions => {
      const r = raw as Record<string, any>;
      const password = inlineOrFile(
        { inline: r.password, file: r.passwordFile },
        { inline: 'password', file: 'passwordFile' },
        ctx,
        [],
        { trim: true },
      );
      if (password === undefined && r.passwordFile === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['password'],
          message: `is required with sasl: give password (e.g. \${KAFKA_SASL_PASSWORD}) or passwordFile`,
        });
      return {
        mechanism: r.mechanism,
        username: r.username,
        password: password ?? '',
      } as KafkaSaslOptions;
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
    return `${prefix}.sasl.password: authentication failed for user "${security.sasl.username}" with ${security.sasl.mechanism}; check ${prefix}.sasl.username, ${prefix}.sasl.password (or passwordFile) and ${prefix}.sasl.mechanism (${message})`;
  }
  const tls = tlsFailure(error);
  if (tls && security.ssl)
    return describeTlsFailure(tls, `${prefix}.ssl`, `${prefix}.ssl`);
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
 * `release` (e.g. the admin's disconnect) runs on any failure.
 */
export async function connectKafka<T>(
  connect: () => Promise<T>,
  security: KafkaSecurity,
  names: KafkaSettingNames,
  release: () => Promise<unknown> = async () => undefined,
): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    await release().catch(() => undefined);
    const explained = explainKafkaFailure(error, security, names);
    if (explained) throw new ConnectionSettingError(explained);
    throw error;
  }
}
