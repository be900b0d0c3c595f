import path from 'node:path';
import { ConfigError } from '@homelab/service-kit';
import { DEFAULT_CONFIG_FILE, loadSinkConfig, parseSinkConfig } from './config';

const example = path.resolve(__dirname, '..', 'config', 'config.example.yaml');

describe('config', () => {
  it('reads CONFIG_FILE before the older SINK_CONFIG; OPS_PORT sets the ops port', () => {
    const config = loadSinkConfig(undefined, {
      CONFIG_FILE: example,
      SINK_CONFIG: '/nonexistent/config.yaml',
      OPS_PORT: '19465',
    });
    expect(config.ops.port).toBe(19465);
    expect(() =>
      loadSinkConfig(undefined, { SINK_CONFIG: '/nonexistent/config.yaml' }),
    ).toThrow('config error: file /nonexistent/config.yaml does not exist');
  });

  it('reads the default file with local defaults and the seed defaults', () => {
    const config = loadSinkConfig(DEFAULT_CONFIG_FILE, {});
    expect(config.kafka.brokers).toEqual(['localhost:9092']);
    expect(config.kafka.group).toBe('timescaledb-energy');
    expect(config.streams.energy).toMatchObject({
      topic: 'homelab.energy',
      table: 'energy_readings',
    });
    expect(config.streams.heatpump?.columns).toEqual({
      d0: 'double precision',
      d5: 'double precision',
      d6: 'double precision',
    });
    expect(config.streams.temperature?.table).toBe('temperature_readings');
    expect(config.timescale).toMatchObject({
      rawRetention: '90 days',
      aggregateRetention: '2 years',
      mode: 'auto',
    });
    expect(config.batch.maxRows).toBe(5000);
    // What one fetch may bring: the sink's memory bound.
    expect(config.batch.maxFetchBytes).toBe(4 * 1024 * 1024);
    expect(config.batch.maxBytesPerPartition).toBe(1024 * 1024);
    // The bounds on what a record can cost: tries, dead-letter size, log lines.
    expect(config.retry.recordAttempts).toBe(3);
    expect(config.kafka.dlqMaxValueBytes).toBe(900_000);
    expect(config.kafka.dlqMaxBatchBytes).toBe(900_000);
    expect(config.conflicts.logPerBatch).toBe(10);
  });

  it('takes the seed environment variables', () => {
    const config = loadSinkConfig(DEFAULT_CONFIG_FILE, {
      REDPANDA_BROKERS: 'redpanda:29092,redpanda2:29092',
      TIMESCALEDB_HOST: 'timescaledb',
      TIMESCALEDB_PORT: '6543',
      TIMESCALEDB_DB: 'iot_cloud',
      TIMESCALEDB_USER: 'iot_user',
      TIMESCALEDB_PASSWORD: 'iot_password',
    });
    expect(config.kafka.brokers).toEqual(['redpanda:29092', 'redpanda2:29092']);
    expect(config.database).toMatchObject({
      host: 'timescaledb',
      port: 6543,
      name: 'iot_cloud',
      user: 'iot_user',
      password: 'iot_password',
    });
    expect(config.database.url).toBeUndefined();
  });

  it('lets TIMESCALE_URL win over DATABASE_URL and KAFKA_BROKERS over REDPANDA_BROKERS', () => {
    const config = loadSinkConfig(DEFAULT_CONFIG_FILE, {
      DATABASE_URL: 'postgres://a@h/plain',
      TIMESCALE_URL: 'postgres://a@h/ts',
      REDPANDA_BROKERS: 'r:1',
      KAFKA_BROKERS: 'k:2',
    });
    expect(config.database.url).toBe('postgres://a@h/ts');
    expect(config.kafka.brokers).toEqual(['k:2']);
  });

  it('accepts the example file as written', () => {
    const config = loadSinkConfig(example, {});
    expect(Object.keys(config.streams)).toEqual([
      'energy',
      'heatpump',
      'temperature',
    ]);
    expect(config.rawArchive).toEqual({
      enabled: false,
      table: 'iot_raw_data',
    });
  });

  it.each([
    [
      { kafka: { brokers: 'nohost' } },
      'kafka.brokers.0: each broker must be host:port',
    ],
    [{ kafka: { brokers: 'a:1' }, batch: { maxRows: 0 } }, 'batch.maxRows'],
    [
      { kafka: { brokers: 'a:1' }, timescale: { compressAfter: 'soon' } },
      'timescale.compressAfter: must be an interval',
    ],
    [
      { kafka: { brokers: 'a:1' }, database: { schema: 'Bad-Name' } },
      'database.schema: must be a lower-case SQL identifier',
    ],
    [
      {
        kafka: { brokers: 'a:1' },
        streams: {
          energy: { topic: 't', table: 'x', columns: { power: 'text' } },
        },
      },
      'streams.energy.columns.power: must be one of',
    ],
    [
      {
        kafka: { brokers: 'a:1' },
        streams: {
          energy: { topic: 't', table: 'x', columns: { ts: 'real' } },
        },
      },
      'streams.energy.columns: a typed column may not be named',
    ],
    [
      { kafka: { brokers: 'a:1' }, batch: { maxrows: 1 } },
      'batch: Unrecognized key',
    ],
    [
      {
        kafka: { brokers: 'a:1' },
        streams: {
          energy: { topic: 't', table: 'x', columns: {}, tabel: 'y' },
        },
      },
      'streams.energy: Unrecognized key: "tabel"',
    ],
    [
      {
        kafka: { brokers: 'a:1' },
        streams: { energy: { topic: 'a topic', table: 'x', columns: {} } },
      },
      'streams.energy.topic: must be a valid Kafka topic name',
    ],
    [
      { kafka: { brokers: 'a:1', dlqMaxValueBytes: 10 } },
      'kafka.dlqMaxValueBytes: must be at least 1024 bytes',
    ],
    [
      { kafka: { brokers: 'a:1' }, conflicts: { logPerBatch: 0 } },
      'conflicts.logPerBatch',
    ],
    [
      { kafka: { brokers: 'a:1' }, retry: { recordAttempts: 1000 } },
      'retry.recordAttempts',
    ],
    [
      { kafka: { brokers: 'a:1' }, batch: { maxFetchBytes: 2 ** 30 } },
      'batch.maxFetchBytes: must be at most 536870912 bytes',
    ],
    [
      {
        kafka: { brokers: 'a:1' },
        batch: { maxFetchBytes: 1048576, maxBytesPerPartition: 4194304 },
      },
      'batch.maxBytesPerPartition: maxBytesPerPartition must not exceed maxFetchBytes',
    ],
  ])('names the bad key in %j', (input, message) => {
    expect(() => parseSinkConfig(input as never)).toThrow(ConfigError);
    expect(() => parseSinkConfig(input as never)).toThrow(message);
  });

  it('reads "false" from the environment as false', () => {
    const config = parseSinkConfig({
      kafka: { brokers: 'a:1', fromBeginning: 'false' as never },
    });
    expect(config.kafka.fromBeginning).toBe(false);
  });
});
