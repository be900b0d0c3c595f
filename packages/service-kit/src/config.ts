import { readFileSync, existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './configError';
import { AliasSpellings, renameSnakeAliases, writtenPath } from './keyAliases';

export { ConfigError };

/**
 * Replaces `${VAR}`, `${VAR:-default}` and `$(VAR)` (the original energy-ws
 * config's syntax) in every string of a parsed YAML tree. A variable that is
 * unset and has no default is an error naming the key, rather than an empty
 * string that fails later.
 */
export function substituteEnv(
  node: unknown,
  env: NodeJS.ProcessEnv,
  path: string[] = [],
): unknown {
  if (typeof node === 'string') {
    return node.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
      (
        _m,
        braced: string | undefined,
        fallback: string | undefined,
        paren: string | undefined,
      ) => {
        const name = (braced ?? paren)!;
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        throw new ConfigError(
          `config error: ${
            path.join('.') || '(root)'
          }: environment variable ${name} is not set`,
        );
      },
    );
  }
  if (Array.isArray(node))
    return node.map((v, i) => substituteEnv(v, env, [...path, String(i)]));
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [
        k,
        substituteEnv(v, env, [...path, k]),
      ]),
    );
  }
  return node;
}

/** Sets `value` at a dotted path, creating objects on the way. */
export function setPath(
  target: Record<string, unknown>,
  dotted: string,
  value: unknown,
) {
  const keys = dotted.split('.');
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) {
    if (!node[key] || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

export function formatIssue(
  issue: z.core.$ZodIssue,
  source: string,
  spellings: AliasSpellings = new Map(),
): string {
  const key = writtenPath(issue.path, spellings) || '(root)';
  return `config error: ${key}: ${issue.message} (in ${source})`;
}

/**
 * Every service's default config file: `config/config.yaml` in its package,
 * found from the code's folder (`src/` from source, `dist/` in the image; both
 * sit beside `config/`), so it does not depend on the working directory.
 */
export function defaultConfigFile(codeDir: string): string {
  return resolvePath(codeDir, '..', 'config', 'config.yaml');
}

/**
 * Which config file to read: the command line's, else `CONFIG_FILE`, else the
 * service's older variable (kept as an alias), else the package default.
 */
export function configFilePath(options: {
  cli?: string;
  env?: NodeJS.ProcessEnv;
  legacyEnv?: string;
  defaultFile: string;
}): string {
  const env = options.env ?? process.env;
  return (
    options.cli ||
    env.CONFIG_FILE ||
    (options.legacyEnv && env[options.legacyEnv]) ||
    options.defaultFile
  );
}

export interface LoadConfigOptions<T extends z.ZodType> {
  schema: T;
  /** YAML file; a missing file is fine when `optional` is set. */
  file?: string;
  optional?: boolean;
  env?: NodeJS.ProcessEnv;
  /**
   * Environment variables that override a config key, e.g. the earlier
   * deployments' `REDPANDA_BROKERS` → `kafka.brokers`. Applied after the file.
   */
  envOverrides?: Record<
    string,
    string | ((value: string) => [string, unknown])
  >;
  /** `snake`: snake_case spellings of the schema's camelCase keys are accepted (see renameSnakeAliases). */
  keyAliases?: 'snake';
}

/**
 * Reads YAML, substitutes environment variables, applies env overrides and
 * validates with zod. Throws ConfigError whose message names the bad key.
 */
export function loadConfig<T extends z.ZodType>(
  options: LoadConfigOptions<T>,
): z.infer<T> {
  const env = options.env ?? process.env;
  const source = options.file ?? 'defaults';
  let raw: Record<string, unknown> = {};
  if (options.file && existsSync(options.file)) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(options.file, 'utf8'));
    } catch (e) {
      throw new ConfigError(
        `config error: ${options.file} is not valid YAML: ${
          (e as Error).message.split('\n')[0]
        }`,
      );
    }
    if (
      parsed !== null &&
      parsed !== undefined &&
      (typeof parsed !== 'object' || Array.isArray(parsed))
    ) {
      throw new ConfigError(
        `config error: ${options.file} must hold a mapping at its top level`,
      );
    }
    raw = (substituteEnv(parsed ?? {}, env) as Record<string, unknown>) ?? {};
  } else if (options.file && !options.optional) {
    throw new ConfigError(`config error: file ${options.file} does not exist`);
  }
  for (const [name, target] of Object.entries(options.envOverrides ?? {})) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (typeof target === 'string') setPath(raw, target, value);
    else {
      const [key, converted] = target(value);
      setPath(raw, key, converted);
    }
  }
  return parseConfig(options.schema, raw, source, {
    keyAliases: options.keyAliases,
  });
}

/**
 * Validates a config given as an object (tests, embedding) with the same
 * one-line messages as a file: `config error: <key>: <message> (in <source>)`.
 */
export function parseConfig<T extends z.ZodType>(
  schema: T,
  input: unknown,
  source: string,
  options: { keyAliases?: 'snake' } = {},
): z.infer<T> {
  const spellings: AliasSpellings = new Map();
  let renamed = input;
  try {
    if (options.keyAliases === 'snake')
      renamed = renameSnakeAliases(schema, input, spellings);
  } catch (e) {
    if (e instanceof ConfigError)
      throw new ConfigError(`${e.message} (in ${source})`);
    throw e;
  }
  const result = schema.safeParse(renamed);
  if (!result.success) {
    throw new ConfigError(
      formatIssue(result.error.issues[0], source, spellings),
    );
  }
  return result.data;
}
