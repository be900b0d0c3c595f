import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  KAFKA_BROKERS_ENV,
  opsSchema,
  serviceConfigSource,
} from './configSource';
import { brokerList } from './schemas';
import { readServiceConfig } from './service';

const schema = z
  .object({
    kafka: z.object({ brokers: brokerList }).strict(),
    ops: opsSchema(9104),
  })
  .strict();

/** A package folder: `src/` for the code and `config/config.yaml` beside it. */
function servicePackage(yaml: string) {
  const root = mkdtempSync(join(tmpdir(), 'service-kit-source-'));
  mkdirSync(join(root, 'src'));
  mkdirSync(join(root, 'config'));
  writeFileSync(join(root, 'config', 'config.yaml'), yaml);
  return join(root, 'src');
}

describe('serviceConfigSource', () => {
  it("finds config/config.yaml beside the code's folder, whatever the working directory", () => {
    const codeDir = servicePackage('kafka:\n  brokers: a:9092\n');
    const source = serviceConfigSource(codeDir, { legacyFileEnv: 'X_CONFIG' });
    expect(source.defaultFile).toBe(
      join(codeDir, '..', 'config', 'config.yaml'),
    );
    expect(source.legacyFileEnv).toBe('X_CONFIG');
    const config = readServiceConfig('example', schema, source, [], {});
    expect(config.kafka.brokers).toEqual(['a:9092']);
    expect(config.ops).toEqual({ host: '0.0.0.0', port: 9104 });
  });

  it('takes the brokers from REDPANDA_BROKERS, and from KAFKA_BROKERS when both are set', () => {
    const codeDir = servicePackage('kafka:\n  brokers: a:9092\n');
    const source = serviceConfigSource(codeDir, {
      envOverrides: { ...KAFKA_BROKERS_ENV },
    });
    const read = (env: NodeJS.ProcessEnv) =>
      readServiceConfig('example', schema, source, [], env).kafka.brokers;
    expect(read({ REDPANDA_BROKERS: 'old:9092' })).toEqual(['old:9092']);
    expect(
      read({ REDPANDA_BROKERS: 'old:9092', KAFKA_BROKERS: 'new:9092' }),
    ).toEqual(['new:9092']);
  });
});

describe('opsSchema', () => {
  it('fills in the address, takes a port as a string, and refuses unknown keys and bad ports', () => {
    const ops = opsSchema(9464);
    expect(ops.parse(undefined)).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(ops.parse({ port: '9000' })).toEqual({
      host: '0.0.0.0',
      port: 9000,
    });
    expect(ops.safeParse({ prot: 9000 }).success).toBe(false);
    expect(ops.safeParse({ port: 70000 }).success).toBe(false);
    expect(ops.safeParse({ port: 'ninety' }).success).toBe(false);
  });
});
