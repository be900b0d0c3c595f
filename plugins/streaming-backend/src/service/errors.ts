import type express from 'express';
import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  InputError,
  isError,
  ServiceUnavailableError,
} from '@backstage/errors';

/**
 * What a browser may learn when a broker or database fails: a short class
 * of failure. The full error (with the host:port, the connection string,
 * the driver's stack) goes to the backend log only, since the portal may be
 * reachable by people who should not map the homelab's internal network.
 */
const REASONS: Array<[RegExp, string]> = [
  [/ECONNREFUSED|connection refused/i, 'connection refused'],
  [/ENOTFOUND|EAI_AGAIN|getaddrinfo/i, 'host not found'],
  [/ETIMEDOUT|timed? ?out|timeout/i, 'timed out'],
  [
    /ECONNRESET|EPIPE|socket hang up|Connection terminated|Connection closed/i,
    'connection lost',
  ],
  [
    /password authentication failed|SASL|authenticat|no pg_hba\.conf entry/i,
    'authentication failed',
  ],
  [/certificate|SSL|TLS|self[- ]signed/i, 'TLS handshake failed'],
  [/database "[^"]*" does not exist/i, 'database does not exist'],
  [
    /permission denied|not authorized|TOPIC_AUTHORIZATION_FAILED|GROUP_AUTHORIZATION_FAILED/i,
    'access denied by the server',
  ],
];

/** Anything that names a place: URLs, user@host, IPs, host:port, key=value connection settings. */
const ADDRESSES: RegExp[] = [
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi,
  /\b[^\s@'"]+@[^\s'"]+/g,
  /\[[0-9a-f:.]+\](:\d+)?/gi,
  /\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g,
  /\b[a-z0-9][a-z0-9.-]*:\d{2,5}\b/gi,
  /\b(host|hostaddr|port|user|password|dbname|sslkey|sslcert|sslrootcert)=\S+/gi,
];

const MAX_REASON_LENGTH = 200;
/** Our services phrase failures as "cannot read <what>: <driver error>"; the first part is ours to show. */
const OWN_CONTEXT = /^(cannot read [^:]+):/;

/** Replaces every address-like part of a text and bounds its length. */
export function redactInternals(text: string): string {
  let out = text;
  for (const pattern of ADDRESSES)
    out = out.replace(pattern, '<internal address>');
  return out.length > MAX_REASON_LENGTH
    ? `${out.slice(0, MAX_REASON_LENGTH)}…`
    : out;
}

function textOf(error: unknown): string {
  if (!isError(error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const cause =
    (error as { cause?: unknown; originalError?: unknown }).originalError ??
    error.cause;
  return [
    error.name,
    typeof code === 'string' ? code : '',
    error.message,
    cause ? textOf(cause) : '',
  ].join(' ');
}

/** The short class of a broker or database failure, e.g. "connection refused". */
export function publicReason(error: unknown): string {
  const text = typeof error === 'string' ? error : textOf(error);
  const known = REASONS.find(([pattern]) => pattern.test(text));
  if (known) return known[1];
  if (isError(error)) return redactInternals(error.message);
  return redactInternals(String(error));
}

/** An `error` text from a partial answer, as the browser gets it: our context, then the short reason. */
export function publicErrorText(text: string): string {
  const context = OWN_CONTEXT.exec(text)?.[1];
  const reason = publicReason(context ? text.slice(context.length + 1) : text);
  return context ? `${redactInternals(context)}: ${reason}` : reason;
}

/**
 * Rewrites every `error` string in a JSON answer (a group, topic or table
 * that failed while the rest succeeded) after logging the original.
 */
export function withPublicErrors<T>(
  body: T,
  logger: LoggerService,
  what: string,
): T {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (!value || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => {
        if (key === 'error' && typeof v === 'string') {
          const shown = publicErrorText(v);
          if (shown !== v) logger.warn(`${what}: ${v}`);
          return [key, shown];
        }
        return [key, visit(v)];
      }),
    );
  };
  return visit(body) as T;
}

/** Errors whose messages we wrote ourselves (annotation, permission, config): they go out as they are. */
const OWN_ERRORS = new Set([
  'InputError',
  'AuthenticationError',
  'NotAllowedError',
  'NotFoundError',
  'ConflictError',
  'NotModifiedError',
  'ServiceUnavailableError',
]);

/**
 * Express error middleware for the plugin's routers: our own errors pass
 * through, anything else (kafkajs, pg, a bug) is logged in full and answered
 * with a 503 that only says which class of failure it was.
 */
export function publicErrorHandler(
  logger: LoggerService,
): express.ErrorRequestHandler {
  return (error, req, _res, next) => {
    if (isError(error) && OWN_ERRORS.has(error.name)) {
      next(error);
      return;
    }
    logger.error(
      `${req.method} ${req.originalUrl} failed`,
      isError(error) ? error : new Error(String(error)),
    );
    next(
      new ServiceUnavailableError(
        `the data source failed: ${publicReason(
          error,
        )}; the backend log has the details`,
      ),
    );
  };
}

/**
 * A 400 for a cluster or database name that app-config does not configure,
 * naming the configured ones (or where to add one) and, when it came from an
 * entity, the annotation that named it.
 */
export function unknownNameError(
  kind: 'cluster' | 'database',
  name: string,
  configured: string[],
  options: { annotation?: string; addWhere: string },
): InputError {
  const where = options.annotation
    ? `annotation ${options.annotation} names ${kind} "${name}"`
    : `${kind} "${name}" is unknown`;
  return new InputError(
    `${where}; configured ${kind}s are ${
      configured.length
        ? configured.map(n => `"${n}"`).join(', ')
        : `none (add a ${options.addWhere} entry to app-config)`
    }`,
  );
}
