import { z } from 'zod';
import {
  brokerList,
  KAFKA_BROKERS_ENV,
  flag,
  kafkaSaslSchema,
  kafkaSslSchema,
  parseConfig as parseConfigWith,
  port,
  positiveInt,
  serviceConfigReader,
  serviceConfigSource,
  topicName,
} from '@homelab/service-kit';
import {
  DEFAULT_GROUPS,
  DEFAULT_TOPICS,
  LIVE_TOKEN_MIN_SECRET_BYTES,
  STREAMS,
  StreamName,
} from '@homelab/pipeline-contracts';

/** `scheme://host[:port]`, exactly as browsers send it in `Origin`. */
const origin = z
  .string()
  .refine(
    value => URL.canParse(value) && new URL(value).origin === value,
    'must be an origin such as https://backstage.example.org (scheme, host and port only, no trailing slash)',
  );

/**
 * The original energy-ws layout (`kafka.brokers/topic/group_id/auto_offset_reset`,
 * `server.host/port/max_connections`, `auth.jwt_secret`) in camelCase, as
 * every service's keys, plus optional keys. Its snake_case spellings
 * are accepted (CONFIG_SOURCE's keyAliases), so files written for it still work.
 * Its single `kafka.topic` names the energy stream's topic; `kafka.topics`
 * names any stream's.
 */
export const configSchema = z
  .object({
    kafka: z
      .object({
        brokers: brokerList,
        topic: topicName.optional(),
        topics: z.partialRecord(z.enum(STREAMS), topicName).default({}),
        groupId: z.string().min(1).default(DEFAULT_GROUPS.websocket),
        /** Empty: the group is `groupId`. Else `<groupId>.<replicaId>`, so every replica reads everything. */
        replicaId: z
          .string()
          .regex(
            /^[a-zA-Z0-9._-]*$/,
            'may hold only letters, digits, ".", "_" and "-"',
          )
          .default(''),
        autoOffsetReset: z.enum(['latest', 'earliest']).default('latest'),
        clientId: z.string().min(1).default('energy-ws'),
        /** TLS and SASL, in the shape of the backend plugin's kafka.clusters[] entries. */
        ssl: kafkaSslSchema().optional(),
        sasl: kafkaSaslSchema().optional(),
      })
      .strict(),
    server: z
      .object({
        /** Loopback unless the user opens it up (0.0.0.0 in Kubernetes). */
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8080),
        maxConnections: positiveInt.default(1000),
        /** Bytes a client may have unsent before it counts as slow and is cut off. */
        maxSendQueueBytes: positiveInt.default(1024 * 1024),
        /** Client frames above this get FRAME_TOO_LARGE; the connection survives. */
        maxFrameBytes: positiveInt.default(64 * 1024),
        pingIntervalMs: positiveInt.default(30_000),
        /** Records kept per partition to serve resumes without reading Kafka. */
        resumeBufferRecords: z.coerce.number().int().min(0).default(10_000),
        /** Kafka replays running at once; more resumes wait their turn. */
        maxConcurrentReplays: positiveInt.default(4),
        /** TCP connections not (yet) authenticated WebSocket clients; more are dropped at accept. */
        maxUnauthenticatedConnections: positiveInt.default(128),
        /** Browser origins allowed to connect; empty allows any. Clients without Origin (non-browsers) pass. */
        allowedOrigins: z.array(origin).default([]),
        /** Inbound frames per connection: a token bucket. */
        rateLimit: z
          .object({
            framesPerSecond: positiveInt.default(20),
            burst: positiveInt.default(100),
            /** Frames dropped in a row past the limit before the client is closed. */
            closeAfterDropped: positiveInt.default(100),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        jwtSecret: z
          .string()
          .min(1, 'is required (set JWT_SECRET)')
          .refine(
            s => Buffer.byteLength(s) >= LIVE_TOKEN_MIN_SECRET_BYTES,
            `must be at least ${LIVE_TOKEN_MIN_SECRET_BYTES} bytes (HS256 wants 256 bits); generate one with: openssl rand -hex 32`,
          ),
        /** Tokens longer than this are refused before any parsing. */
        maxTokenBytes: positiveInt.default(8 * 1024),
        /** Strict: refuse tokens without the `streams` claim. false: such tokens see every stream, as before. */
        requireStreamsClaim: flag.default(true),
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

/**
 * Where the config comes from (service-kit's one rule). ENERGY_WS_CONFIG is
 * the older name of CONFIG_FILE; the WebSocket port is also the ops port
 * (/metrics, /health), so OPS_PORT sets server.port, and PORT, which older
 * deployments set, still does (OPS_PORT wins when both are set).
 */
// eslint-disable-next-line no-restricted-syntax
export const CONFIG_SOURCE = serviceConfigSource(__dirname, {
  legacyFileEnv: 'ENERGY_WS_CONFIG',
  envOverrides: {
    ...KAFKA_BROKERS_ENV,
    REPLICA_ID: 'kafka.replicaId',
    PORT: 'server.port',
    OPS_PORT: 'server.port',
  },
  keyAliases: 'snake',
});

/** The config as main reads it; `file` as --config would give it. */
export const readConfig = serviceConfigReader(
  'energy-ws',
  configSchema,
  CONFIG_SOURCE,
);

/** Validates a config given as an object (tests, embedding); throws ConfigError naming the key. */
export function parseConfig(
  input: unknown,
  source = 'config object',
): EnergyWsConfig {
  return parseConfigWith(configSchema, input, source, { keyAliases: 'snake' });
}

/** Topic per stream: `kafka.topics`, then the older single `kafka.topic` for energy, then the defaults. */
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
  return config.kafka.replicaId
    ? `${config.kafka.groupId}.${config.kafka.replicaId}`
    : config.kafka.groupId;
}
