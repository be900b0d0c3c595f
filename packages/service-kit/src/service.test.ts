import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { port, positiveInt } from './schemas';
import { defineService } from './service';

const schema = z
  .object({
    rateMultiplier: positiveInt.default(1),
    ops: z
      .object({ host: z.string().default('0.0.0.0'), port: port.default(9000) })
      .strict()
      .prefault({}),
  })
  .strict();

function yamlFile(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'service-kit-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

const service = (defaultFile: string) =>
  defineService({
    name: 'example',
    configSchema: schema,
    config: {
      defaultFile,
      legacyFileEnv: 'EXAMPLE_CONFIG',
      envOverrides: {
        EXAMPLE_OPS_PORT: 'ops.port',
        EXAMPLE_RATE: 'rateMultiplier',
      },
      keyAliases: 'snake',
      commandLine: {
        rate: { key: 'rateMultiplier', short: 'r', valueName: 'multiplier' },
      },
    },
    start: async () => ({ stop: async () => undefined }),
  });

describe('defineService config', () => {
  it('reads the default file, with snake_case keys as aliases', () => {
    const file = yamlFile('rate_multiplier: 3\nops:\n  port: 9100\n');
    expect(service(file).loadConfig([], {})).toEqual({
      rateMultiplier: 3,
      ops: { host: '0.0.0.0', port: 9100 },
    });
  });

  it('takes --config over CONFIG_FILE over the older variable over the default', () => {
    const a = yamlFile('rateMultiplier: 2\n');
    const b = yamlFile('rateMultiplier: 3\n');
    const c = yamlFile('rateMultiplier: 4\n');
    const s = service('/nonexistent/config.yaml');
    expect(
      s.loadConfig(['--config', a], { CONFIG_FILE: b, EXAMPLE_CONFIG: c })
        .rateMultiplier,
    ).toBe(2);
    expect(
      s.loadConfig([], { CONFIG_FILE: b, EXAMPLE_CONFIG: c }).rateMultiplier,
    ).toBe(3);
    expect(s.loadConfig([], { EXAMPLE_CONFIG: c }).rateMultiplier).toBe(4);
  });

  it('lets OPS_PORT win over the older name, and the command line over both', () => {
    const file = yamlFile('rateMultiplier: 2\n');
    const env = {
      OPS_PORT: '9300',
      EXAMPLE_OPS_PORT: '9200',
      EXAMPLE_RATE: '5',
    };
    const config = service(file).loadConfig(['-r', '7'], env);
    expect(config.ops.port).toBe(9300);
    expect(config.rateMultiplier).toBe(7);
    expect(
      service(file).loadConfig([], { EXAMPLE_OPS_PORT: '9200' }).ops.port,
    ).toBe(9200);
  });

  it('refuses an unknown option with the usage line', () => {
    const file = yamlFile('{}\n');
    expect(() => service(file).loadConfig(['--rat', '2'], {})).toThrow(
      /usage: example \[--rate <multiplier>\] \[--config <file>\]/,
    );
  });

  it('names an unknown key and the file', () => {
    const file = yamlFile('ops:\n  prot: 1\n');
    expect(() => service(file).loadConfig([], {})).toThrow(
      `config error: ops: Unrecognized key: "prot" (in ${file})`,
    );
  });
});

/** Runs the example service as a process, as a container runtime would. */
function runExample(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    // Not tsx's CLI: it relays signals and answers an interrupt with its own exit code.
    ['--import', 'tsx', join(__dirname, '__fixtures__', 'exampleService.ts')],
    {
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME!,
        CONFIG_FILE: yamlFile('{}\n'),
        ...env,
      },
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', d => (out += d));
  child.stderr.on('data', d => (err += d));
  const exited = new Promise<number | null>(resolve =>
    child.on('exit', code => resolve(code)),
  );
  const opsPort = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /OPS_PORT=(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    exited.then(code => reject(new Error(`exited ${code}: ${err}`)));
  });
  // A run that is meant to fail never reports a port.
  opsPort.catch(() => undefined);
  return { child, out: () => out, err: () => err, exited, opsPort };
}

function get(toPort: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: toPort, path }, res => {
        res.resume();
        resolve(res.statusCode!);
      })
      .on('error', reject);
  });
}

describe('defineService run', () => {
  jest.setTimeout(60_000);

  it('serves /health and /metrics, and stops on SIGTERM with exit code 0', async () => {
    const run = runExample({});
    const opsPort = await run.opsPort;
    expect(await get(opsPort, '/health')).toBe(200);
    expect(await get(opsPort, '/metrics')).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain('example stopping');
    expect(run.out()).toContain('"signal":"SIGTERM"');
  });

  it('exits with code 1 when the stop outlasts its bound', async () => {
    const run = runExample({ FIXTURE_STOP_MS: '30000' });
    await run.opsPort;
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    expect(run.out()).toContain('graceful stop timed out');
  });

  it('prints a config error as one line and exits with code 2', async () => {
    const run = runExample({ OPS_PORT: 'eighty' });
    expect(await run.exited).toBe(2);
    expect(run.err()).toMatch(
      /^example-service: config error: ops\.port: .*\(in \/.*config\.yaml\)\n$/,
    );
  });
});
