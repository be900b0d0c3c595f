import type { Logger } from './logger';

/**
 * kafkajs' logLevel numbers (its enum), so service-kit needs no kafkajs
 * dependency: NOTHING 0, ERROR 1, WARN 2, INFO 4, DEBUG 5.
 */
const LEVEL_NAMES: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  1: 'error',
  2: 'warn',
  4: 'info',
  5: 'debug',
};

/** What kafkajs hands a logCreator's function (its LogEntry). */
export interface KafkajsLogEntry {
  namespace: string;
  level: number;
  label?: string;
  log: { message: string; timestamp?: string; logger?: string } & Record<
    string,
    unknown
  >;
}

export interface KafkajsLogOptions {
  /** Messages the service expects and has said why elsewhere (kept out of the log). */
  ignore?: (message: string) => boolean;
}

/**
 * kafkajs' `logCreator` writing into the service's JSON log: each entry at
 * its own level, its fields under `kafkajs` (so they cannot overwrite the
 * service's) and kafkajs' own timestamp and logger name dropped (pino has
 * both). Which levels arrive is kafkajs' `logLevel` option.
 */
export function kafkajsLogCreator(
  logger: Logger,
  options: KafkajsLogOptions = {},
) {
  return () => (entry: KafkajsLogEntry) => {
    const { message, timestamp: _t, logger: _l, ...fields } = entry.log;
    if (options.ignore?.(message)) return;
    const level = LEVEL_NAMES[entry.level] ?? 'info';
    logger[level](
      { kafkajs: { namespace: entry.namespace, ...fields } },
      `kafkajs: ${message}`,
    );
  };
}
