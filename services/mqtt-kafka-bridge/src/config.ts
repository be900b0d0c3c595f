import {
  DEFAULT_TOPICS,
  STREAMS,
  StreamName,
} from '@homelab/pipeline-contracts';
import {
  brokerList,
  KAFKA_BROKERS_ENV,
  opsSchema,
  flag,
  kafkaSaslSchema,
  kafkaSslSchema,
  mqttSecurityShape,
  positiveInt,
  serviceConfigReader,
  resolveMqttSecurity,
  serviceConfigSource,
  topicName,
} from '@homelab/service-kit';
import { hostname } from 'node:os';
import { z } from 'zod';
import { Route } from './route';

/** Letters, marks and digits of any script, plus `. _ - : @ ~` (MAC addresses, e-mail-like ids). */
export const DEFAULT_DEVICE_ID_PATTERN = '^[\\p{L}\\p{M}\\p{N}._:@~-]+$';

function isRegExp(pattern: string): boolean {
  try {
    return RegExp(pattern, 'u') instanceof RegExp;
  } catch {
    return false;
  }
}
const topicSpec = (defaults: {
  name: string;
  retentionMs: number;
  segmentMs?: number;
}) =>
  z
    .object({
      name: topicName.default(defaults.name),
      partitions: positiveInt.default(1),
      replicationFactor: positiveInt.default(1),
      retentionMs: z.coerce
        .number()
        .int()
        .min(-1)
        .default(defaults.retentionMs),
      segmentMs: z.coerce
        .number()
        .int()
        .positive()
        .optional()
        .default(defaults.segmentMs as number),
    })
    .strict()
    .prefault({});

const route = z
  .object({
    filter: z
      .string()
      .min(1)
      .refine(
        f =>
          !/(^|\/)#./.test(f) &&
          !/[^/]#|#[^/]/.test(f) &&
          !/[^/]\+|\+[^/]/.test(f),
        'is not a valid MQTT topic filter',
      ),
    stream: z.enum(STREAMS),
    deviceIdSegment: z.coerce.number().int().min(0).default(2),
  })
  .strict();

const DEFAULT_ROUTES = STREAMS.map(stream => ({
  filter: `homelab/${stream}/#`,
  stream,
  deviceIdSegment: 2,
}));

export const bridgeConfigSchema = z
  .object({
    /** Written into every record's source.bridge_id. */
    bridgeId: z.string().min(1).default(hostname()),
    mqtt: z
      .object({
        url: z
          .string()
          .regex(
            /^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/,
            'must be an mqtt://host:port URL',
          )
          .default('mqtt://127.0.0.1:1883'),
        /** Stable across restarts: it names the persistent session that holds unacknowledged messages. */
        clientId: z.string().min(1).max(65535).default('mqtt-kafka-bridge'),
        /** username, password or passwordFile, tls (CA, client cert and key): see docs/configuration.md. */
        ...mqttSecurityShape(),
        /** Set to split the load between replicas with `$share/<group>/<filter>`. */
        sharedGroup: z
          .string()
          .regex(/^[^/+#]+$/, 'must not contain / + or #')
          .optional(),
        /** Extra filters subscribed beside the route filters; messages matching no route go to the DLQ. */
        extraSubscriptions: z.array(z.string().min(1)).default([]),
        keepaliveSeconds: positiveInt.default(30),
        /** How long Mosquitto keeps the session (and its queued messages) while the bridge is away. */
        sessionExpirySeconds: z.coerce
          .number()
          .int()
          .min(1)
          .max(0xffffffff)
          .default(7 * 24 * 3600),
        /** MQTT 5 Receive Maximum: PUBLISHes Mosquitto may have in flight to us unacknowledged. */
        receiveMaximum: z.coerce
          .number()
          .int()
          .min(1)
          .max(65535)
          .default(10_000),
        reconnectPeriodMs: positiveInt.default(1000),
      })
      .strict()
      .transform((mqtt, ctx) => ({
        ...mqtt,
        security: resolveMqttSecurity(mqtt, ctx),
      }))
      .prefault({}),
    kafka: z
      .object({
        brokers: brokerList.default(['127.0.0.1:9092']),
        clientId: z.string().min(1).default('mqtt-kafka-bridge'),
        /** TLS and SASL, in the shape of the backend plugin's kafka.clusters[] entries. */
        ssl: kafkaSslSchema().optional(),
        sasl: kafkaSaslSchema().optional(),
        provisionTopics: flag.default(true),
        topics: z
          .object({
            energy: topicSpec(DEFAULT_TOPICS.energy),
            heatpump: topicSpec(DEFAULT_TOPICS.heatpump),
            temperature: topicSpec(DEFAULT_TOPICS.temperature),
            dlq: topicSpec(DEFAULT_TOPICS.dlq),
          })
          .strict()
          .prefault({}),
        batch: z
          .object({
            maxMessages: positiveInt.default(2000),
            /**
             * Upper bound on one produce request's records. The bridge also reads
             * each topic's max.message.bytes at start and stays under the smallest.
             */
            maxBytes: z.coerce.number().int().min(16_384).default(1_048_576),
            lingerMs: z.coerce.number().int().min(0).default(2),
          })
          .strict()
          .prefault({}),
        /** Per attempt; after it the producer is rebuilt and the batch retried, forever. */
        requestTimeoutMs: positiveInt.default(10_000),
      })
      .strict()
      .prefault({}),
    routes: z
      .array(route)
      .min(1, 'at least one route is required')
      .default(DEFAULT_ROUTES),
    limits: z
      .object({
        maxPayloadBytes: positiveInt.default(256 * 1024),
        /** Timestamps further ahead of the bridge's clock are absurd. */
        maxFutureMs: positiveInt.default(24 * 3600 * 1000),
        /** Messages held (received, not yet acknowledged) before the bridge stops reading. */
        maxPending: positiveInt.default(10_000),
        /**
         * Payload bytes held (received, not yet acknowledged) before the bridge
         * stops reading: with maxPayloadBytes, maxPending alone would allow
         * gigabytes. One message is always taken, however large.
         */
        maxPendingBytes: positiveInt.default(16 * 1024 * 1024),
        /** UTF-8 bytes of a device id (from the topic or the payload). */
        maxDeviceIdBytes: z.coerce.number().int().min(1).max(4096).default(128),
        /**
         * The characters a device id may use (a regular expression with the `u` flag).
         * Control, format and whitespace characters stay refused whatever it says.
         */
        deviceIdPattern: z
          .string()
          .default(DEFAULT_DEVICE_ID_PATTERN)
          .refine(isRegExp, 'must be a valid regular expression'),
        /** Numeric fields of one reading (top level plus the nested `fields`). */
        maxFields: z.coerce.number().int().min(1).max(100_000).default(256),
        /** UTF-8 bytes of one field name. */
        maxFieldNameBytes: z.coerce
          .number()
          .int()
          .min(1)
          .max(4096)
          .default(128),
        /** Nesting of JSON objects and arrays; `{"fields":{…}}` is 2. */
        maxDepth: z.coerce.number().int().min(2).max(1000).default(8),
      })
      .strict()
      .prefault({}),
    ops: opsSchema(9464),
  })
  .strict();

export type BridgeConfig = z.infer<typeof bridgeConfigSchema>;

/**
 * Where the config comes from (service-kit's one rule; BRIDGE_CONFIG is the
 * older name of CONFIG_FILE). The environment variables of the earlier
 * deployments (REDPANDA_BROKERS, REDPANDA_TOPIC_*, MQTT_*, BRIDGE_ID) and the
 * local infra runner's KAFKA_BROKERS apply over the file.
 */
// eslint-disable-next-line no-restricted-syntax
export const CONFIG_SOURCE = serviceConfigSource(__dirname, {
  legacyFileEnv: 'BRIDGE_CONFIG',
  envOverrides: {
    ...KAFKA_BROKERS_ENV,
    REDPANDA_TOPIC_ENERGY: 'kafka.topics.energy.name',
    REDPANDA_TOPIC_HEATPUMP: 'kafka.topics.heatpump.name',
    REDPANDA_TOPIC_TEMPERATURE: 'kafka.topics.temperature.name',
    REDPANDA_TOPIC_DLQ: 'kafka.topics.dlq.name',
    MQTT_URL: 'mqtt.url',
    MQTT_CLIENT_ID: 'mqtt.clientId',
    MQTT_SHARED_GROUP: 'mqtt.sharedGroup',
    BRIDGE_ID: 'bridgeId',
    OPS_PORT: 'ops.port',
  },
});

export const DEFAULT_CONFIG_FILE = CONFIG_SOURCE.defaultFile;

/** The config as main reads it; `file` as --config would give it. */
export const loadBridgeConfig = serviceConfigReader(
  'mqtt-kafka-bridge',
  bridgeConfigSchema,
  CONFIG_SOURCE,
);

/** Routes with their Kafka topic resolved from the stream's topic config. */
export function resolveRoutes(config: BridgeConfig): Route[] {
  return config.routes.map(r => ({
    ...r,
    topic: config.kafka.topics[r.stream as StreamName].name,
  }));
}
