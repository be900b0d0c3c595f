import {
  opsSchema,
  mqttSecurityShape,
  positiveInt,
  readServiceConfig,
  resolveMqttSecurity,
  serviceConfigSource,
} from '@homelab/service-kit';
import { z } from 'zod';
import { DEVICE_KINDS, HOMELAB_FLEET } from './fleet';

const positive = z.coerce.number().positive();

const device = z
  .object({
    id: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]+$/,
        'must be a device id without / + # or spaces',
      ),
    kind: z.enum(DEVICE_KINDS),
    intervalMs: positive,
  })
  .strict();

export const simulatorConfigSchema = z
  .object({
    mqtt: z
      .object({
        url: z
          .string()
          .regex(
            /^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/,
            'must be an mqtt://host:port URL',
          )
          .default('mqtt://127.0.0.1:1883'),
        clientId: z.string().min(1).default('device-simulator'),
        /** username, password or passwordFile, tls (caFile, certFile, keyFile): see docs/configuration.md. */
        ...mqttSecurityShape(),
        /** Topics are `<topicPrefix>/<stream>/<device id>`, as the homelab's devices publish (`homelab/energy/meter1`). */
        topicPrefix: z
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
      .strict()
      .transform((mqtt, ctx) => ({
        ...mqtt,
        security: resolveMqttSecurity(mqtt, ctx),
      }))
      .prefault({}),
    /** Divides every interval: 10 sends ten times the homelab's ~2-3 messages/second. */
    rateMultiplier: positive.max(100_000, 'must be at most 100000').default(1),
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
        HOMELAB_FLEET.map(d => ({
          id: d.id,
          kind: d.kind,
          intervalMs: d.intervalMs,
        })),
      ),
    limits: z
      .object({
        /** Messages awaiting their PUBACK beyond which new samples are dropped (and counted) instead of queued. */
        maxPending: positiveInt.default(10_000),
      })
      .strict()
      .prefault({}),
    ops: opsSchema(9104),
  })
  .strict();

export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;

/**
 * Where the config comes from (service-kit's one rule). SIMULATOR_CONFIG,
 * SIMULATOR_OPS_HOST and SIMULATOR_OPS_PORT are the older names of
 * CONFIG_FILE, OPS_HOST and OPS_PORT, kept as aliases (the one name wins when
 * both are set); snake_case keys (`rate_multiplier`) as aliases of camelCase.
 */
// eslint-disable-next-line no-restricted-syntax
export const CONFIG_SOURCE = serviceConfigSource(__dirname, {
  legacyFileEnv: 'SIMULATOR_CONFIG',
  envOverrides: {
    MQTT_URL: 'mqtt.url',
    SIMULATOR_RATE: 'rateMultiplier',
    SIMULATOR_SEED: 'seed',
    SIMULATOR_OPS_HOST: 'ops.host',
    OPS_HOST: 'ops.host',
    SIMULATOR_OPS_PORT: 'ops.port',
    OPS_PORT: 'ops.port',
  },
  keyAliases: 'snake',
  // The command line beats the environment, which beats the file.
  commandLine: {
    rate: { key: 'rateMultiplier', short: 'r', valueName: 'multiplier' },
    seed: { key: 'seed', valueName: 'n' },
  },
});

export const DEFAULT_CONFIG_FILE = CONFIG_SOURCE.defaultFile;

export interface CommandLine {
  configFile?: string;
  rate?: string;
  seed?: string;
}

/** The config as main reads it, with the command line given as values (tests, embedding). */
export function loadSimulatorConfig(
  cli: CommandLine = {},
  env: NodeJS.ProcessEnv = process.env,
): SimulatorConfig {
  const argv = [
    ...(cli.configFile ? ['--config', cli.configFile] : []),
    ...(cli.rate !== undefined ? ['--rate', cli.rate] : []),
    ...(cli.seed !== undefined ? ['--seed', cli.seed] : []),
  ];
  return readServiceConfig(
    'device-simulator',
    simulatorConfigSchema,
    CONFIG_SOURCE,
    argv,
    env,
  );
}
