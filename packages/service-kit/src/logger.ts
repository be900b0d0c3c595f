import pino, { Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout. Anything that could carry a credential is redacted at
 * the logger, so a careless call site cannot leak a token.
 */
export function createLogger(
  service: string,
  level = process.env.LOG_LEVEL ?? 'info',
): Logger {
  return pino({
    name: service,
    level,
    redact: {
      paths: [
        'token',
        '*.token',
        'password',
        '*.password',
        'authorization',
        '*.authorization',
        'jwtSecret',
        '*.jwtSecret',
        'jwt_secret',
        '*.jwt_secret',
        'url',
        '*.url',
      ],
      censor: '[redacted]',
    },
  });
}
