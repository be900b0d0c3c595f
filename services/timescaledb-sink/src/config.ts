import { z } from 'zod';
import {
  brokerList,
  KAFKA_BROKERS_ENV,
  opsSchema,
  flag,
  parseConfig,
  port,
  kafkaSaslSchema,
  kafkaSslSchema,
  postgresTlsShape,
  serviceConfigReader,
  resolvePostgresSsl,
  serviceConfigSource,
  topicName,
} from '@homelab/service-kit';
import {
  DEFAULT_GROUPS,
  DEFAULT_HYPERTABLES,
  DEFAULT_TOPICS,
  STREAMS,
  StreamName,
} from '@homelab/pipeline-contracts';

const identifier = z
  .string()
  .regex(
    /^[a-z_][a-z0-9_]{0,47}$/,
    'must be a lower-case SQL identifier (a-z, 0-9, _; at most 48 characters)',
  );

/**
 * Column types a typed field may have. Kept to numeric types because the
 * canonical record's fields are numbers; anything else lands in `extra`.
 */
const columnType = z
  .string()
  .transform(s => s.trim().toLowerCase().replace(/\s+/g, ' '))
  .pipe(
    z
      .string()
      .regex(
        /^(double precision|real|bigint|integer|smallint|numeric(\(\d{1,3}(, ?\d{1,3})?\))?)$/,
        'must be one of double precision, real, bigint, integer, smallint, numeric or numeric(p,s)',
      ),
  );

/** Interval literal passed to TimescaleDB, e.g. "7 days" or "1 hour". */
const interval = z
  .string()
  .regex(
    /^\d+ ?(second|minute|hour|day|week|month|year)s?$/,
    'must be an interval such as "7 days" or "1 hour"',
  );

/** Columns every readings table has; a typed field must not reuse them. */
export const RESERVED_COLUMNS = ['ts', 'device_id', 'received_at', 'extra'];

const streamSchema = z
  .object({
    topic: topicName,
    table: identifier,
    columns: z
      .record(identifier, columnType)
      .refine(
        cols => !Object.keys(cols).some(c => RESERVED_COLUMNS.includes(c)),
        {
          message: `a typed column may not be named ${RESERVED_COLUMNS.join(
            ', ',
          )}`,
        },
      ),
  })
  .strict();

export type StreamMapping = z.infer<typeof streamSchema>;

const DOUBLE = 'double precision';

/**
 * The known fields of the three payload shapes: the flat meter,
 * the three-phase meter and the heat pump. Temperatures use a bounded
 * numeric so that an absurd reading is rejected by the database and reaches
 * the DLQ rather than polluting the aggregates.
 */
export const DEFAULT_COLUMNS: Record<StreamName, Record<string, string>> = {
  energy: Object.fromEntries(
    [
      'power_kw',
      'total_energy_kwh',
      'voltage',
      'current',
      'active_power_total',
      'active_power_l1',
      'active_power_l2',
      'active_power_l3',
      'voltage_l1',
      'voltage_l2',
      'voltage_l3',
    ].map(c => [c, DOUBLE]),
  ),
  heatpump: { d0: DOUBLE, d5: DOUBLE, d6: DOUBLE },
  temperature: { temperature_c: 'numeric(6,2)', humidity_pct: 'numeric(5,2)' },
};

const defaultStreams = Object.fromEntries(
  STREAMS.map(s => [
    s,
    {
      topic: DEFAULT_TOPICS[s].name,
      table: DEFAULT_HYPERTABLES[s],
      columns: DEFAULT_COLUMNS[s],
    },
  ]),
) as Record<StreamName, StreamMapping>;

export const configSchema = z
  .object({
    kafka: z
      .object({
        brokers: brokerList,
        clientId: z.string().min(1).default('timescaledb-sink'),
        /** TLS and SASL, in the shape of the backend plugin's kafka.clusters[] entries. */
        ssl: kafkaSslSchema().optional(),
        sasl: kafkaSaslSchema().optional(),
        group: z.string().min(1).default(DEFAULT_GROUPS.sink),
        /** Where a new group starts; a committed offset always wins. */
        fromBeginning: flag.default(true),
        dlqTopic: topicName.default(DEFAULT_TOPICS.dlq.name),
        /**
         * Largest value a dead letter carries; a longer one is cut and its
         * headers give the original size and SHA-256. Keep it under the DLQ
         * topic's max.message.bytes (1 MiB by default) minus the headers.
         */
        dlqMaxValueBytes: z.coerce
          .number()
          .int()
          .min(1024, 'must be at least 1024 bytes')
          .default(900_000),
        /** Largest produce request of dead letters; more are split. */
        dlqMaxBatchBytes: z.coerce
          .number()
          .int()
          .min(1024, 'must be at least 1024 bytes')
          .default(900_000),
        sessionTimeoutMs: z.coerce.number().int().min(6000).default(30000),
      })
      .strict(),
    streams: z
      .partialRecord(z.enum(STREAMS), streamSchema)
      .default(defaultStreams)
      .refine(
        s => Object.keys(s).length > 0,
        'at least one stream must be configured',
      )
      .refine(
        s =>
          new Set(Object.values(s).map(m => m!.table)).size ===
          Object.keys(s).length,
        {
          message: 'every stream needs its own table',
        },
      ),
    database: z
      .object({
        /** A postgres:// URL; when set it wins over host/port/name/user/password. */
        url: z.string().optional(),
        host: z.string().default('localhost'),
        port: port.default(5432),
        name: z.string().default('postgres'),
        user: z.string().default('postgres'),
        password: z.string().optional(),
        /** sslmode (libpq's meaning) with sslrootcert or ca; see docs/configuration.md. */
        ...postgresTlsShape(),
        schema: identifier.default('public'),
        poolMax: z.coerce.number().int().min(1).max(100).default(4),
        statementTimeoutMs: z.coerce.number().int().min(0).default(60000),
        /**
         * Client-side limit for an answer; longer than the statement timeout,
         * it catches a server that went silent (the write is then retried).
         */
        queryTimeoutMs: z.coerce.number().int().min(0).default(90000),
      })
      .strict()
      .transform((db, ctx) => ({
        ...db,
        ssl: resolvePostgresSsl(db, ctx),
      }))
      .prefault({}),
    batch: z
      .object({
        /** Largest number of records written in one transaction. */
        maxRows: z.coerce.number().int().min(1).max(100000).default(5000),
        /** How long the broker may hold a fetch to fill a batch. */
        maxWaitMs: z.coerce.number().int().min(1).max(60000).default(250),
        /** Bytes the broker waits for (up to maxWaitMs) before answering a fetch. */
        minBytes: z.coerce.number().int().min(1).default(1),
        /** Record bytes one fetch may bring per partition (kafkajs maxBytesPerPartition). */
        maxBytesPerPartition: z.coerce
          .number()
          .int()
          .min(1024)
          .default(1024 * 1024),
        /**
         * The memory bound: the most record bytes one fetch from one broker
         * may bring (kafkajs maxBytes). kafkajs fetches again only when
         * every batch of the last fetch is handled, so this, per broker, is
         * what the sink holds; see docs/configuration.md for the estimate.
         */
        maxFetchBytes: z.coerce
          .number()
          .int()
          .min(64 * 1024, 'must be at least 65536 bytes')
          .max(512 * 1024 * 1024, 'must be at most 536870912 bytes (512 MiB)')
          .default(4 * 1024 * 1024),
        /** Partitions written in parallel, each with its own transaction. */
        partitionsConcurrently: z.coerce
          .number()
          .int()
          .min(1)
          .max(64)
          .default(3),
        /**
         * Chunks per partition that may wait, fetched, behind the one being
         * written, so the next fetch overlaps the COPY and commit. Each holds
         * up to maxBytesPerPartition of records; 0 writes each chunk before
         * fetching again.
         */
        writeAhead: z.coerce
          .number()
          .int()
          .min(0, 'must be 0 (no read-ahead) or more')
          .max(8, 'must be at most 8 chunks per partition')
          .default(1),
      })
      .strict()
      .refine(b => b.maxBytesPerPartition <= b.maxFetchBytes, {
        message:
          'maxBytesPerPartition must not exceed maxFetchBytes (the whole fetch)',
        path: ['maxBytesPerPartition'],
      })
      .prefault({}),
    retry: z
      .object({
        /**
         * Tries for a record the database refuses on its own (any error but
         * an outage) before it goes to the DLQ.
         */
        recordAttempts: z.coerce.number().int().min(1).max(20).default(3),
        initialBackoffMs: z.coerce.number().int().min(1).default(200),
        maxBackoffMs: z.coerce.number().int().min(1).default(30000),
      })
      .strict()
      .prefault({}),
    conflicts: z
      .object({
        /**
         * Conflicts (same device_id and ts, other values) logged with both
         * values per chunk; every one is counted whatever this says.
         */
        logPerBatch: z.coerce.number().int().min(1).max(100).default(10),
      })
      .strict()
      .prefault({}),
    timescale: z
      .object({
        /** auto: use TimescaleDB when available; required: fail without it; off: plain tables. */
        mode: z.enum(['auto', 'required', 'off']).default('auto'),
        chunkInterval: interval.default('1 day'),
        compressAfter: interval.default('7 days'),
        rawRetention: interval.default('90 days'),
        aggregateRetention: interval.default('2 years'),
      })
      .strict()
      .prefault({}),
    rawArchive: z
      .object({
        /** Also keep every record verbatim, like the earlier connector's iot_raw_data table. */
        enabled: flag.default(false),
        table: identifier.default('iot_raw_data'),
      })
      .strict()
      .prefault({}),
    ops: opsSchema(9464),
  })
  .strict();

export type SinkConfig = z.infer<typeof configSchema>;
export type SinkConfigInput = z.input<typeof configSchema>;

/**
 * Where the config comes from (service-kit's one rule; SINK_CONFIG is the
 * older name of CONFIG_FILE). The earlier deployments' variable names and the test runner's
 * URLs apply over the file. Later entries win, so TIMESCALE_URL beats
 * DATABASE_URL (and KAFKA_BROKERS beats REDPANDA_BROKERS, see KAFKA_BROKERS_ENV).
 */
// eslint-disable-next-line no-restricted-syntax
export const CONFIG_SOURCE = serviceConfigSource(__dirname, {
  legacyFileEnv: 'SINK_CONFIG',
  envOverrides: {
    ...KAFKA_BROKERS_ENV,
    TIMESCALEDB_HOST: 'database.host',
    TIMESCALEDB_PORT: 'database.port',
    TIMESCALEDB_DB: 'database.name',
    TIMESCALEDB_USER: 'database.user',
    TIMESCALEDB_PASSWORD: 'database.password',
    DATABASE_URL: 'database.url',
    TIMESCALE_URL: 'database.url',
    SINK_DB_SCHEMA: 'database.schema',
    SINK_GROUP: 'kafka.group',
    OPS_PORT: 'ops.port',
  },
});

export const DEFAULT_CONFIG_FILE = CONFIG_SOURCE.defaultFile;

/** The config as main reads it; `file` as --config would give it. */
export const loadSinkConfig = serviceConfigReader(
  'timescaledb-sink',
  configSchema,
  CONFIG_SOURCE,
);

/** Validates an in-memory config (tests, embedding) with the same messages. */
export function parseSinkConfig(
  input: SinkConfigInput,
  source = 'inline config',
): SinkConfig {
  return parseConfig(configSchema, input, source);
}

/** pg connection options from either the URL or the discrete fields. */
export function connectionOptions(db: SinkConfig['database']) {
  // sslmode disable (the default) leaves TLS to the URL's own sslmode or PGSSLMODE, as before.
  const ssl = db.ssl === false ? {} : { ssl: db.ssl };
  if (db.url) return { connectionString: db.url, ...ssl };
  return {
    host: db.host,
    port: db.port,
    database: db.name,
    user: db.user,
    password: db.password,
    ...ssl,
  };
}
