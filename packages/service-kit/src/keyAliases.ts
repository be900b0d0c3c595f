import { z } from 'zod';
import { ConfigError } from './configError';

/** `group_id` → `groupId`. */
export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * The schema inside the wrappers the config schemas use (optional, default,
 * prefault, preprocess, transform), where the shape of the value is decided.
 */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  const def = schema._zod.def as any;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      return unwrap(def.innerType);
    case 'pipe':
      // z.preprocess is a pipe from a transform into the real schema.
      return unwrap(def.in._zod.def.type === 'transform' ? def.out : def.in);
    default:
      return schema;
  }
}

/**
 * The object shape a schema validates; undefined for anything that is not an
 * object, such as a record whose keys are data (stream or column names) and
 * must keep their spelling.
 */
function objectShape(
  schema: z.core.$ZodType,
): Record<string, z.core.$ZodType> | undefined {
  const def = unwrap(schema)._zod.def as any;
  return def.type === 'object' ? def.shape : undefined;
}

function elementSchema(schema: z.core.$ZodType): z.core.$ZodType | undefined {
  const def = unwrap(schema)._zod.def as any;
  return def.type === 'array' ? def.element : undefined;
}

function recordValueSchema(
  schema: z.core.$ZodType,
): z.core.$ZodType | undefined {
  const def = unwrap(schema)._zod.def as any;
  return def.type === 'record' ? def.valueType : undefined;
}

/** Where an alias was written: the key path as the schema names it → as the operator wrote it. */
export type AliasSpellings = Map<string, string>;

/**
 * Config keys are camelCase. Files written with the homelab's original snake_case
 * (energy-ws's `kafka.group_id`, the simulator's `rate_multiplier`) keep
 * working: a snake_case key whose camelCase form the schema knows is renamed
 * before validation. Only keys of objects the schema declares are renamed,
 * never the keys of records (stream and column names are data). Giving both
 * spellings is an error naming them; an unknown key is left for `.strict()`.
 */
export function renameSnakeAliases(
  schema: z.core.$ZodType,
  input: unknown,
  spellings: AliasSpellings = new Map(),
  path: string[] = [],
): unknown {
  if (Array.isArray(input)) {
    const element = elementSchema(schema);
    if (!element) return input;
    return input.map((v, i) =>
      renameSnakeAliases(element, v, spellings, [...path, String(i)]),
    );
  }
  if (!input || typeof input !== 'object') return input;
  const shape = objectShape(schema);
  if (!shape) {
    const value = recordValueSchema(schema);
    if (!value) return input;
    return Object.fromEntries(
      Object.entries(input).map(([k, v]) => [
        k,
        renameSnakeAliases(value, v, spellings, [...path, k]),
      ]),
    );
  }
  const out: Record<string, unknown> = {};
  for (const [written, v] of Object.entries(input)) {
    const camel = camelCase(written);
    const key = camel !== written && camel in shape ? camel : written;
    if (key !== written) {
      if (camel in (input as Record<string, unknown>))
        throw new ConfigError(
          `config error: ${[...path, written].join(
            '.',
          )}: give ${camel} or its older spelling ${written}, not both`,
        );
      spellings.set([...path, key].join('.'), written);
    }
    out[key] = shape[key]
      ? renameSnakeAliases(shape[key], v, spellings, [...path, key])
      : v;
  }
  return out;
}

/** A key path as the operator wrote it, given the path the schema reports. */
export function writtenPath(
  path: ReadonlyArray<PropertyKey>,
  spellings: AliasSpellings,
): string {
  const schemaPath: string[] = [];
  const written: string[] = [];
  for (const segment of path) {
    schemaPath.push(String(segment));
    written.push(spellings.get(schemaPath.join('.')) ?? String(segment));
  }
  return written.join('.');
}
