import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  effectiveGroupId,
  parseConfig,
  readConfig,
  streamTopics,
} from './config';

const base = {
  kafka: { brokers: 'localhost:9092' },
  auth: { jwt_secret: 'a-config-test-secret-of-32-bytes' },
};

describe('config', () => {
  it("reads the seed's snake_case layout with $(JWT_SECRET) substitution", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'energy-ws-'));
    const file = path.join(dir, 'config.yaml');
    writeFileSync(
      file,
      `kafka:\n  brokers: "a:9092,b:9092"\n  topic: "homelab-energy-realtime"\n  group_id: "energy-ws"\n  auto_offset_reset: "latest"\nserver:\n  host: "0.0.0.0"\n  port: 8080\n  max_connections: 1000\nauth:\n  jwt_secret: "$(JWT_SECRET)"\n`,
    );
    const config = readConfig(file, {
      JWT_SECRET: 'from-env-0123456789abcdef0123456',
    });
    expect(config.auth.jwtSecret).toBe('from-env-0123456789abcdef0123456');
    expect(config.kafka.groupId).toBe('energy-ws');
    expect(config.server.maxConnections).toBe(1000);
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9092']);
    expect(streamTopics(config)).toEqual({
      energy: 'homelab-energy-realtime',
      heatpump: 'homelab.heatpump',
      temperature: 'homelab.temperature',
    });
    expect(() => readConfig(file, {})).toThrow(
      'auth.jwt_secret: environment variable JWT_SECRET is not set',
    );
  });

  it('gives each replica its own group, and keeps the seed group without one', () => {
    expect(effectiveGroupId(parseConfig(base))).toBe('energy-ws');
    expect(
      effectiveGroupId(
        parseConfig({
          ...base,
          kafka: { ...base.kafka, replica_id: 'energy-ws-7d9f-abc' },
        }),
      ),
    ).toBe('energy-ws.energy-ws-7d9f-abc');
  });

  it('names the bad key', () => {
    expect(() =>
      parseConfig({ ...base, server: { max_connections: 0 } }),
    ).toThrow(/config error: server.max_connections: /);
    expect(() =>
      parseConfig({ ...base, kafka: { brokers: 'nohostport' } }),
    ).toThrow(/config error: kafka.brokers.0: each broker must be host:port/);
    expect(() =>
      parseConfig({
        ...base,
        kafka: { ...base.kafka, auto_offset_reset: 'middle' },
      }),
    ).toThrow(/kafka.auto_offset_reset/);
    expect(() =>
      parseConfig({ ...base, kafka: { ...base.kafka, topics: { gas: 'x' } } }),
    ).toThrow(/kafka.topics/);
    expect(() => parseConfig({ ...base, auth: { jwt_secret: '' } })).toThrow(
      /auth.jwt_secret: is required/,
    );
    expect(() =>
      parseConfig({ ...base, auth: { jwt_secret: 'x'.repeat(31) } }),
    ).toThrow(
      /auth.jwt_secret: must be at least 32 bytes .*openssl rand -hex 32/,
    );
    expect(() =>
      parseConfig({
        ...base,
        server: { allowed_origins: ['https://portal.example/'] },
      }),
    ).toThrow(/server.allowed_origins.0: must be an origin/);
  });

  it('is strict about tokens and local by default', () => {
    const config = parseConfig(base);
    expect(config.auth.requireStreamsClaim).toBe(true);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.server.allowedOrigins).toEqual([]);
    expect(config.server.rateLimit).toEqual({
      framesPerSecond: 20,
      burst: 100,
      closeAfterDropped: 100,
    });
    // From an environment variable, the switch arrives as a string.
    expect(
      parseConfig({
        ...base,
        auth: { ...base.auth, requireStreamsClaim: 'false' },
      }).auth.requireStreamsClaim,
    ).toBe(false);
  });

  it('takes camelCase keys, names unknown ones, and refuses both spellings at once', () => {
    expect(
      parseConfig({
        kafka: { ...base.kafka, groupId: 'g', replicaId: 'r' },
        auth: { jwtSecret: base.auth.jwt_secret },
      }).kafka,
    ).toMatchObject({ groupId: 'g', replicaId: 'r' });
    expect(() =>
      parseConfig({ ...base, server: { maxConections: 5 } }, 'f.yaml'),
    ).toThrow(
      'config error: server: Unrecognized key: "maxConections" (in f.yaml)',
    );
    expect(() =>
      parseConfig(
        { ...base, kafka: { ...base.kafka, group_id: 'a', groupId: 'b' } },
        'f.yaml',
      ),
    ).toThrow(
      'config error: kafka.group_id: give groupId or its older spelling group_id, not both (in f.yaml)',
    );
  });

  it('reads CONFIG_FILE before ENERGY_WS_CONFIG, and OPS_PORT over PORT for the one port', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'energy-ws-'));
    const write = (name: string, brokers: string) => {
      const file = path.join(dir, name);
      writeFileSync(
        file,
        `kafka:\n  brokers: "${brokers}"\nauth:\n  jwtSecret: "${base.auth.jwt_secret}"\n`,
      );
      return file;
    };
    const a = write('a.yaml', 'a:1');
    const b = write('b.yaml', 'b:1');
    expect(
      readConfig(undefined, { CONFIG_FILE: a, ENERGY_WS_CONFIG: b }).kafka
        .brokers,
    ).toEqual(['a:1']);
    expect(
      readConfig(undefined, { ENERGY_WS_CONFIG: b, PORT: '8081' }).server.port,
    ).toBe(8081);
    expect(
      readConfig(undefined, {
        ENERGY_WS_CONFIG: b,
        PORT: '8081',
        OPS_PORT: '8082',
      }).server.port,
    ).toBe(8082);
  });
});
