import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig, substituteEnv } from './config';
import { brokerList, port } from './schemas';

const schema = z.object({
  kafka: z.object({
    brokers: brokerList,
    topic: z.string().default('homelab.energy'),
  }),
  server: z.object({ port: port.default(8080) }).default({ port: 8080 }),
  auth: z.object({
    jwt_secret: z.string().min(16, 'must be at least 16 characters'),
  }),
});

function yamlFile(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'service-kit-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it("substitutes $(VAR), the original energy-ws config's form, and ${VAR:-default}", () => {
    const file = yamlFile(
      'kafka:\n  brokers: "${BROKERS:-localhost:9092}"\nauth:\n  jwt_secret: "$(JWT_SECRET)"\n',
    );
    const config = loadConfig({
      schema,
      file,
      env: { JWT_SECRET: 'a-secret-of-32-characters-long!!' },
    });
    expect(config.kafka.brokers).toEqual(['localhost:9092']);
    expect(config.auth.jwt_secret).toBe('a-secret-of-32-characters-long!!');
    expect(config.server.port).toBe(8080);
  });

  it('names the key whose environment variable is missing', () => {
    const file = yamlFile(
      'kafka:\n  brokers: a:1\nauth:\n  jwt_secret: "$(JWT_SECRET)"\n',
    );
    expect(() => loadConfig({ schema, file, env: {} })).toThrow(
      new ConfigError(
        'config error: auth.jwt_secret: environment variable JWT_SECRET is not set',
      ),
    );
  });

  it('names the invalid key and the file in one line', () => {
    const file = yamlFile(
      'kafka:\n  brokers: "not a broker"\nauth:\n  jwt_secret: short\n',
    );
    let message = '';
    try {
      loadConfig({ schema, file, env: {} });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      `config error: kafka.brokers.0: each broker must be host:port (in ${file})`,
    );
    expect(message).not.toContain('\n');
  });

  it('lets seed environment variables override the file', () => {
    const file = yamlFile(
      'kafka:\n  brokers: a:1\nauth:\n  jwt_secret: 0123456789abcdef\n',
    );
    const config = loadConfig({
      schema,
      file,
      env: { REDPANDA_BROKERS: 'r1:9092,r2:9092', PORT: '9000' },
      envOverrides: { REDPANDA_BROKERS: 'kafka.brokers', PORT: 'server.port' },
    });
    expect(config.kafka.brokers).toEqual(['r1:9092', 'r2:9092']);
    expect(config.server.port).toBe(9000);
  });

  it('refuses YAML that is not a mapping', () => {
    const file = yamlFile('- just\n- a list\n');
    expect(() => loadConfig({ schema, file })).toThrow(/must hold a mapping/);
  });

  it('reports a missing file unless it is optional', () => {
    expect(() =>
      loadConfig({ schema, file: '/nonexistent/config.yaml' }),
    ).toThrow(/does not exist/);
  });
});

describe('substituteEnv', () => {
  it('leaves strings without references alone', () => {
    expect(substituteEnv({ a: ['x', 1, true] }, {})).toEqual({
      a: ['x', 1, true],
    });
  });
});
