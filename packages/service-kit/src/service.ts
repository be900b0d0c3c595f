import { ConfigError } from './config';
import { Logger } from './logger';

export interface RunningService {
  /** Stops taking work, finishes or hands back what is in flight, closes. */
  stop(reason: string): Promise<void>;
}

export interface RunServiceOptions {
  name: string;
  logger: Logger;
  start: () => Promise<RunningService>;
  /** How long a graceful stop may take before the process exits anyway. */
  stopTimeoutMs?: number;
}

/**
 * The common main(): starts the service, stops it gracefully on SIGINT or
 * SIGTERM, and turns a ConfigError into one line on stderr and exit code 2.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const { logger } = options;
  let running: RunningService;
  try {
    running = await options.start();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${options.name}: ${e.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err: e }, 'failed to start');
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      logger.error('graceful stop timed out; exiting');
      process.exit(1);
    }, options.stopTimeoutMs ?? 20_000);
    timer.unref();
    running.stop(signal).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      err => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
