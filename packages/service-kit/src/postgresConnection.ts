import { z } from 'zod';
import { inlineOrFile } from './secretSource';

/** libpq's sslmode values that `pg` can honour (prefer/allow need a fallback pg lacks). */
export const SSL_MODES = [
  'disable',
  'require',
  'verify-ca',
  'verify-full',
] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** The `ssl` option of `pg`'s Client and Pool. */
export type PgSsl =
  | false
  | {
      rejectUnauthorized: boolean;
      ca?: string;
      checkServerIdentity?: () => undefined;
    };

/**
 * The keys of a database block for TLS: `sslmode` with libpq's meaning and
 * `sslrootcert` (a CA file, as libpq names it) or an inline `ca`.
 */
export function postgresTlsShape() {
  return {
    sslmode: z
      .enum(SSL_MODES, { message: `must be one of ${SSL_MODES.join(', ')}` })
      .default('disable'),
    sslrootcert: z.string().min(1).optional(),
    ca: z.string().min(1).optional(),
  };
}

/**
 * libpq's sslmode as `pg` options: `require` encrypts without checking the
 * certificate (libpq's definition), `verify-ca` checks it against the CA,
 * `verify-full` also checks the host name. Call inside the block's transform
 * so a missing CA file is reported as `database.sslrootcert: …`.
 */
export function resolvePostgresSsl(
  db: Record<string, any>,
  ctx: z.RefinementCtx,
): PgSsl {
  const modeKey = 'sslmode';
  const caKey = 'sslrootcert';
  const mode = (db[modeKey] ?? 'disable') as SslMode;
  const ca = inlineOrFile(
    { inline: db.ca, file: db[caKey] },
    { inline: 'ca', file: caKey },
    ctx,
    [],
  );
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  if (ca === undefined && db[caKey] === undefined)
    ctx.addIssue({
      code: 'custom',
      path: [caKey],
      message: `is required with ${modeKey}: ${mode}; give the server's CA file`,
    });
  return mode === 'verify-ca'
    ? { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined }
    : { rejectUnauthorized: true, ca };
}

/** Names the setting behind a failed PostgreSQL connection, or undefined. */
export function explainPostgresFailure(
  error: unknown,
  names: { prefix: string },
): string | undefined {
  const e = error as { code?: string; message?: string };
  const message = String(e?.message ?? error);
  const modeKey = `${names.prefix}.sslmode`;
  const caKey = `${names.prefix}.sslrootcert`;
  if (e?.code === '28P01') return `${names.prefix}.password: ${message}`;
  if (/does not support SSL/i.test(message))
    return `${modeKey}: ${message}; use sslmode: disable for this server`;
  if (
    /no pg_hba.conf entry .* no encryption|SSL.*required|requires SSL/i.test(
      message,
    )
  )
    return `${modeKey}: the server requires TLS (${message}); set sslmode: verify-full with ${caKey}`;
  if (
    /self[- ]signed certificate|unable to verify|unable to get (local )?issuer/i.test(
      message,
    )
  )
    return `${caKey}: certificate verify failed (${message})`;
  if (/Hostname\/IP does not match/i.test(message))
    return `${modeKey}: ${message}; connect by a name the certificate holds, or use verify-ca`;
  return undefined;
}
