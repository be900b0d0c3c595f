import path from 'node:path';
import { z } from 'zod';
import {
  brokerList,
  kafkaSaslSchema,
  kafkaSslSchema,
  loadConfig,
  parseConfig as parseConfigWith,
  port,
} from '@homelab/service-kit';
import {
  DEFAULT_GROUPS,
  DEFAULT_TOPICS,
  STREAMS,
  StreamName,
} from '@homelab/pipeline-contracts';

const topicName = z
  .string()
  .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'must be a valid Kafka topic name');
/** `scheme://host[:port]`, exactly as browsers send it in `Origin`. */
const origin = z
  .string()
  .refine(
    value => URL.canParse(value) && new URL(value).origin === value,
    'must be an origin such as https://backstage.example.org (scheme, host and port only, no trailing slash)',
  );
/** HS256's key should be at least as long as its hash (RFC 7518 3.2). */
export const MIN_SECRET_BYTES = 32;
const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);

/**
 * Seed 003's layout (`kafka.brokers/topic/group_id/auto_offset_reset`,
 * `server.host/port/max_connections`, `auth.jwt_secret`) plus optional keys.
 * The seed's single `kafka.topic` names the energy stream's topic; `kafka.topics`
 * names any stream's.
 */
export const configSchema = z
  .object({
    kafka: z
      .object({
        brokers: brokerList,
        topic: topicName.optional(),
        topics: z.partialRecord(z.enum(STREAMS), topicName).default({}),
        group_id: z.string().min(1).default(DEFAULT_GROUPS.websocket),
        /** Empty: the group is `group_id`. Else `<group_id>.<replica_id>`, so every replica reads everything. */
        replica_id: z
          .string()
          .regex(
            /^[a-zA-Z0-9._-]*$/,
            'may hold only letters, digits, ".", "_" and "-"',
          )
          .default(''),
        auto_offset_reset: z.enum(['latest', 'earliest']).default('latest'),
        client_id: z.string().min(1).default('energy-ws'),
        /** TLS and SASL, in the shape of the backend plugin's kafka.clusters[] entries (snake_case file keys). */
        ssl: kafkaSslSchema('snake').optional(),
        sasl: kafkaSaslSchema('snake').optional(),
      })
      .strict(),
    server: z
      .object({
        /** Loopback unless the user opens it up (0.0.0.0 in Kubernetes). */
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8080),
        max_connections: positiveInt(1000),
        /** Bytes a client may have unsent before it counts as slow and is cut off. */
        max_send_queue_bytes: positiveInt(1024 * 1024),
        /** Client frames above this get FRAME_TOO_LARGE; the connection survives. */
        max_frame_bytes: positiveInt(64 * 1024),
        ping_interval_ms: positiveInt(30_000),
        /** Records kept per partition to serve resumes without reading Kafka. */
        resume_buffer_records: z.coerce.number().int().min(0).default(10_000),
        /** Kafka replays running at once; more resumes wait their turn. */
        max_concurrent_replays: positiveInt(4),
        /** TCP connections not (yet) authenticated WebSocket clients; more are dropped at accept. */
        max_unauthenticated_connections: positiveInt(128),
        /** Browser origins allowed to connect; empty allows any. Clients without Origin (non-browsers) pass. */
        allowed_origins: z.array(origin).default([]),
        /** Inbound frames per connection: a token bucket. */
        rate_limit: z
          .object({
            frames_per_second: positiveInt(20),
            burst: positiveInt(100),
            /** Frames dropped in a row past the limit before the client is closed. */
            close_after_dropped: positiveInt(100),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        jwt_secret: z
          .string()
          .min(1, 'is required (set JWT_SECRET)')
          .refine(
            s => Buffer.byteLength(s) >= MIN_SECRET_BYTES,
            `must be at least ${MIN_SECRET_BYTES} bytes (HS256 wants 256 bits); generate one with: openssl rand -hex 32`,
          ),
        /** Tokens longer than this are refused before any parsing. */
        max_token_bytes: positiveInt(8 * 1024),
        /** Strict: refuse tokens without the `streams` claim. false: such tokens see every stream (seed 003). */
        require_streams_claim: z
          .union([z.boolean(), z.stringbool()])
          .default(true),
        /** When set, tokens must carry this `aud`. */
        audience: z.string().min(1).optional(),
        /** When set, tokens must carry this `iss`. */
        issuer: z.string().min(1).optional(),
      })
      .strict(),
  })
  .strict();

export type EnergyWsConfig = z.infer<typeof configSchema>;
export type EnergyWsConfigInput = z.input<typeof configSchema>;

/** Relative to the working directory: `yarn workspace energy-ws start` runs in the package folder. */
export const DEFAULT_CONFIG_FILE = path.resolve('config', 'config.yaml');

/** Environment variables the seeds and Kubernetes use, over the file's values. */
export const ENV_OVERRIDES = {
  REDPANDA_BROKERS: 'kafka.brokers',
  KAFKA_BROKERS: 'kafka.brokers',
  REPLICA_ID: 'kafka.replica_id',
  PORT: 'server.port',
};

export function readConfig(
  file = process.env.ENERGY_WS_CONFIG ?? DEFAULT_CONFIG_FILE,
): EnergyWsConfig {
  return loadConfig({
    schema: configSchema,
    file,
    envOverrides: ENV_OVERRIDES,
  });
}

/** Validates a config given as an object (tests, embedding); throws ConfigError naming the key. */
export function parseConfig(
  input: unknown,
  source = 'config object',
): EnergyWsConfig {
  return parseConfigWith(configSchema, input, source);
}

/** Topic per stream: `kafka.topics`, then the seed's `kafka.topic` for energy, then the defaults. */
export function streamTopics(
  config: EnergyWsConfig,
): Record<StreamName, string> {
  const result = {} as Record<StreamName, string>;
  for (const stream of STREAMS) {
    result[stream] =
      config.kafka.topics[stream] ??
      (stream === 'energy' ? config.kafka.topic : undefined) ??
      DEFAULT_TOPICS[stream].name;
  }
  return result;
}

/** The consumer group this process joins; see README "Replicas and consumer groups". */
export function effectiveGroupId(config: EnergyWsConfig): string {
  return config.kafka.replica_id
    ? `${config.kafka.group_id}.${config.kafka.replica_id}`
    : config.kafka.group_id;
}
