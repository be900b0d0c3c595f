import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * An optional setting where an empty string means "not set": config files
 * write `password: ${MQTT_PASSWORD:-}` so one file serves brokers with and
 * without credentials.
 */
export const optionalText = z.preprocess(
  v => (v === '' ? undefined : v),
  z.string().min(1).optional(),
);

/** Bound on a secret or certificate file: a mistyped path to a big file must not be read whole. */
export const MAX_SECRET_FILE_BYTES = 1024 * 1024;

/**
 * Reads a secret or PEM file named in config. Secrets are kept out of
 * committed config this way (a mounted Kubernetes Secret is a file); the
 * trailing newline an editor or `echo` adds is not part of a password.
 */
export function readSecretFile(
  file: string,
  options: { trim?: boolean } = {},
): { value: string } | { error: string } {
  let text: string;
  try {
    const buffer = readFileSync(file);
    if (buffer.length > MAX_SECRET_FILE_BYTES)
      return {
        error: `${file} holds ${buffer.length} bytes; a secret or PEM file is at most ${MAX_SECRET_FILE_BYTES}`,
      };
    text = buffer.toString('utf8');
  } catch (e) {
    return {
      error: `cannot read ${file}: ${
        (e as NodeJS.ErrnoException).code ?? (e as Error).message
      }`,
    };
  }
  return { value: options.trim ? text.replace(/\r?\n$/, '') : text };
}

/**
 * A value given inline (usually `${ENV}` substituted by the config loader) or
 * as `<name>File`; never both. Resolves to the text, or undefined if neither.
 */
export function inlineOrFile(
  value: { inline?: string; file?: string },
  keys: { inline: string; file: string },
  ctx: z.RefinementCtx,
  path: (string | number)[],
  options: { trim?: boolean } = {},
): string | undefined {
  if (value.inline !== undefined && value.file !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, keys.file],
      message: `give either ${keys.inline} or ${keys.file}, not both`,
    });
    return undefined;
  }
  if (value.file === undefined) return value.inline;
  const read = readSecretFile(value.file, options);
  if ('error' in read) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, keys.file],
      message: read.error,
    });
    return undefined;
  }
  return read.value;
}

/** Node's codes for "the peer's certificate does not chain to a CA we trust". */
const UNTRUSTED_CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

export type TlsFailure =
  | { kind: 'untrusted'; detail: string }
  | { kind: 'hostname'; detail: string }
  | { kind: 'handshake'; detail: string }
  | { kind: 'clientCertificate'; detail: string };

/** Looks through wrappers (kafkajs' retry errors, mqtt.js) for Node's TLS error. */
export function errorChain(error: unknown): Array<Error & { code?: unknown }> {
  const chain: Array<Error & { code?: unknown }> = [];
  let current: any = error;
  for (let depth = 0; current && depth < 8; depth++) {
    chain.push(current);
    current = current.cause ?? current.originalError;
  }
  return chain;
}

/** Classifies a TLS failure, or undefined if the error is not one. */
export function tlsFailure(error: unknown): TlsFailure | undefined {
  for (const e of errorChain(error)) {
    const code = String(e.code ?? '');
    const message = String(e.message ?? e);
    if (
      UNTRUSTED_CERT_CODES.has(code) ||
      /self[- ]signed certificate|unable to verify|unable to get (local )?issuer/i.test(
        message,
      )
    )
      return {
        kind: 'untrusted',
        detail: `certificate verify failed (${code || message})`,
      };
    // The server's alerts about our certificate: none sent, or not one it trusts.
    if (
      /ALERT_(CERTIFICATE_REQUIRED|UNKNOWN_CA|BAD_CERTIFICATE|ACCESS_DENIED)/.test(
        code,
      ) ||
      /alert (certificate required|unknown ca|bad certificate)/i.test(message)
    )
      return {
        kind: 'clientCertificate',
        detail: `the server refused the client certificate (${
          code || message
        })`,
      };
    if (
      code === 'ERR_TLS_CERT_ALTNAME_INVALID' ||
      /Hostname\/IP does not match/i.test(message)
    )
      return {
        kind: 'hostname',
        detail: `the server's certificate does not name this host (${message})`,
      };
    if (
      /before secure TLS connection was established|wrong version number|ssl3_get_record|packet length too long/i.test(
        message,
      )
    )
      return { kind: 'handshake', detail: `TLS handshake failed (${message})` };
  }
  return undefined;
}
