import { parseArgs } from 'node:util';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { ConfigError, configFilePath, loadConfig } from './config';
import { createLogger, Logger } from './logger';
import { HealthReport, OpsServer, startOpsServer } from './opsServer';

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
 * SIGTERM (within stopTimeoutMs, else exit code 1), and turns a ConfigError
 * into one line on stderr and exit code 2.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const { logger } = options;
  let running: RunningService | undefined;
  // A signal during the start is kept and acted on once the start is done,
  // rather than killing the process half-connected.
  let requested: string | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping || !running) return;
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
  const onSignal = (signal: string) => {
    requested ??= signal;
    stop(signal);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
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
  if (requested) stop(requested);
}

/** A command-line option that sets a config key; it beats the environment and the file. */
export interface CommandLineOption {
  /** The dotted config key it sets, e.g. `rateMultiplier`. */
  key: string;
  short?: string;
  /** Shown in the usage line: `--rate <multiplier>`. */
  valueName: string;
}

/** How a service reads its config; the same rule for every service. */
export interface ServiceConfigSource {
  /** `config/config.yaml` of the package: `defaultConfigFile(__dirname)`. */
  defaultFile: string;
  /** The service's older variable for the file, read after `CONFIG_FILE`. */
  legacyFileEnv?: string;
  /**
   * Environment variables over the file's values, later entries winning.
   * `OPS_PORT` → `ops.port` is added last unless the service maps it itself.
   */
  envOverrides?: Record<string, string>;
  /** Accept the snake_case spelling of camelCase keys (files written before the one casing). */
  keyAliases?: 'snake';
  /** Options beside `--config <file>`, which every service takes. */
  commandLine?: Record<string, CommandLineOption>;
}

export interface ServiceContext<C> {
  config: C;
  logger: Logger;
  /**
   * Serves `/metrics` and `/health`; closed after the service's own stop.
   * For services whose start function does not serve them itself.
   */
  serveOps(options: {
    host: string;
    port: number;
    registry: Registry;
    health: () => HealthReport;
  }): Promise<OpsServer>;
}

export interface ServiceDefinition<S extends z.ZodType> {
  name: string;
  configSchema: S;
  config: ServiceConfigSource;
  start(context: ServiceContext<z.infer<S>>): Promise<RunningService>;
  /** How long a graceful stop may take before the process exits anyway. */
  stopTimeoutMs?: number;
}

export interface DefinedService<C> {
  name: string;
  /** Reads and validates the config as `run` does; throws ConfigError naming the key. */
  loadConfig(argv?: string[], env?: NodeJS.ProcessEnv): C;
  /** The process's main: config, logger, start, graceful stop on SIGINT/SIGTERM. */
  run(argv?: string[]): Promise<void>;
}

function usage(name: string, options: Record<string, CommandLineOption>) {
  const parts = Object.entries(options).map(
    ([long, o]) => `[--${long} <${o.valueName}>]`,
  );
  return `usage: ${name} ${[...parts, '[--config <file>]'].join(' ')}`;
}

/**
 * Reads a service's config by the one rule: `--config`, `CONFIG_FILE`, the
 * service's older variable, the package's `config/config.yaml`; then the
 * environment overrides (`OPS_PORT` last among them) and the command line's
 * options over everything. Throws ConfigError naming the key.
 */
export function readServiceConfig<S extends z.ZodType>(
  name: string,
  schema: S,
  source: ServiceConfigSource,
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const commandLine = source.commandLine ?? {};
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        ...Object.fromEntries(
          Object.entries(commandLine).map(([long, o]) => [
            long,
            { type: 'string' as const, ...(o.short && { short: o.short }) },
          ]),
        ),
      },
    }) as { values: Record<string, string | undefined> });
  } catch (e) {
    throw new ConfigError(
      `${(e as Error).message}; ${usage(name, commandLine)}`,
    );
  }
  // Command-line values travel as variables of their own, applied last.
  const cliEnv: Record<string, string | undefined> = {};
  const cliOverrides: Record<string, string> = {};
  for (const [long, o] of Object.entries(commandLine)) {
    const variable = `__CLI_${long.toUpperCase()}`;
    cliEnv[variable] = values[long];
    cliOverrides[variable] = o.key;
  }
  const envOverrides = {
    ...source.envOverrides,
    ...(!source.envOverrides?.OPS_PORT && { OPS_PORT: 'ops.port' }),
    ...cliOverrides,
  };
  return loadConfig({
    schema,
    file: configFilePath({
      cli: values.config,
      env,
      legacyEnv: source.legacyFileEnv,
      defaultFile: source.defaultFile,
    }),
    env: { ...env, ...cliEnv },
    envOverrides,
    keyAliases: source.keyAliases,
  });
}

/**
 * A service's config reader for tests and embedding: `file` as `--config`
 * would give it, `env` in place of the process's environment.
 */
export function serviceConfigReader<S extends z.ZodType>(
  name: string,
  schema: S,
  source: ServiceConfigSource,
) {
  return (file?: string, env: NodeJS.ProcessEnv = process.env): z.infer<S> =>
    readServiceConfig(
      name,
      schema,
      source,
      file ? ['--config', file] : [],
      env,
    );
}

/**
 * One shape for every service's main: the config read by the same rule
 * (`--config`, `CONFIG_FILE`, the service's older variable, the package's
 * `config/config.yaml`; env overrides; the command line last) and validated
 * before anything connects, JSON logs, the ops server, and a bounded
 * graceful stop. A config error is one line naming the key, exit code 2.
 */
export function defineService<S extends z.ZodType>(
  definition: ServiceDefinition<S>,
): DefinedService<z.infer<S>> {
  const source = definition.config;

  const readConfig = (argv?: string[], env?: NodeJS.ProcessEnv) =>
    readServiceConfig(
      definition.name,
      definition.configSchema,
      source,
      argv,
      env,
    );

  return {
    name: definition.name,
    loadConfig: readConfig,
    run: (argv = process.argv.slice(2)) => {
      const logger = createLogger(definition.name);
      return runService({
        name: definition.name,
        logger,
        stopTimeoutMs: definition.stopTimeoutMs,
        start: async () => {
          const config = readConfig(argv);
          const opsServers: OpsServer[] = [];
          const running = await definition.start({
            config,
            logger,
            serveOps: async options => {
              const ops = await startOpsServer(options);
              opsServers.push(ops);
              logger.info(
                { port: ops.port },
                'ops server listening (/metrics, /health)',
              );
              return ops;
            },
          });
          return {
            stop: async reason => {
              try {
                await running.stop(reason);
              } finally {
                await Promise.all(opsServers.map(ops => ops.close()));
              }
            },
          };
        },
      });
    },
  };
}
