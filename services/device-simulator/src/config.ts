import {
  loadConfig,
  mqttSecurityShape,
  port,
  resolveMqttSecurity,
} from '@homelab/service-kit';
import path from 'node:path';
import { z } from 'zod';
import { DEVICE_KINDS, SEED_002_FLEET } from './fleet';

const positive = z.coerce.number().positive();

const device = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'must be a device id without / + # or spaces'),
  kind: z.enum(DEVICE_KINDS),
  interval_ms: positive,
});

export const simulatorConfigSchema = z.object({
  mqtt: z
    .object({
      url: z
        .string()
        .regex(
          /^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/,
          'must be an mqtt://host:port URL',
        )
        .default('mqtt://127.0.0.1:1883'),
      client_id: z.string().min(1).default('device-simulator'),
      /** username, password or password_file, tls (ca_file, cert_file, key_file): see docs/configuration.md. */
      ...mqttSecurityShape('snake'),
      /** Topics are `<topic_prefix>/<stream>/<device id>` (seed 002). */
      topic_prefix: z
        .string()
        .regex(
          /^[^+#]+[^/+#]$/,
          'must be a topic prefix without wildcards or a trailing /',
        )
        .default('homelab'),
      qos: z.coerce
        .number()
        .pipe(z.union([z.literal(0), z.literal(1), z.literal(2)]))
        .default(1),
    })
    .transform((mqtt, ctx) => ({
      ...mqtt,
      security: resolveMqttSecurity(mqtt, 'snake', ctx),
    }))
    .prefault({}),
  /** Divides every interval: 10 sends ten times seed 002's traffic. */
  rate_multiplier: positive.max(100_000, 'must be at most 100000').default(1),
  /** Fixes the random values, e.g. to compare two load-test runs; unset picks one from the clock. */
  seed: z.coerce.number().int().optional(),
  devices: z
    .array(device)
    .min(1, 'at least one device is required')
    .refine(
      list => new Set(list.map(d => d.id)).size === list.length,
      'device ids must be unique',
    )
    .default(
      SEED_002_FLEET.map(d => ({
        id: d.id,
        kind: d.kind,
        interval_ms: d.intervalMs,
      })),
    ),
  limits: z
    .object({
      /** Messages awaiting their PUBACK beyond which new samples are dropped (and counted) instead of queued. */
      max_pending: z.coerce.number().int().positive().default(10_000),
    })
    .prefault({}),
  ops: z
    .object({ host: z.string().default('0.0.0.0'), port: port.default(9104) })
    .prefault({}),
});

export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;

// From source __dirname is src/, in the image it is the bundle's dist/; both
// have config/ as a sibling, so the relative path holds either way.
// eslint-disable-next-line no-restricted-syntax
const CODE_DIR = __dirname;
export const DEFAULT_CONFIG_FILE = path.resolve(
  CODE_DIR,
  '../config/config.yaml',
);

export const ENV_OVERRIDES: Record<string, string> = {
  MQTT_URL: 'mqtt.url',
  SIMULATOR_RATE: 'rate_multiplier',
  SIMULATOR_SEED: 'seed',
  SIMULATOR_OPS_PORT: 'ops.port',
};

export interface CommandLine {
  configFile?: string;
  rate?: string;
  seed?: string;
}

export function loadSimulatorConfig(
  cli: CommandLine = {},
  env: NodeJS.ProcessEnv = process.env,
): SimulatorConfig {
  // The command line beats the environment, which beats the file.
  const overrides = {
    ...ENV_OVERRIDES,
    SIMULATOR_CLI_RATE: 'rate_multiplier',
    SIMULATOR_CLI_SEED: 'seed',
  };
  return loadConfig({
    schema: simulatorConfigSchema,
    file: cli.configFile ?? env.SIMULATOR_CONFIG ?? DEFAULT_CONFIG_FILE,
    env: { ...env, SIMULATOR_CLI_RATE: cli.rate, SIMULATOR_CLI_SEED: cli.seed },
    envOverrides: overrides,
  });
}
