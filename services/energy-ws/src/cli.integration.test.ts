import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Harness, SECRET } from './__testUtils__/testHarness';
import {
  attackTokens,
  connectClient,
  mintToken,
} from './__testUtils__/testing';
import { eventually } from '@homelab/test-kit';

jest.setTimeout(90_000);

const root = path.resolve(__dirname, '..');
const tsx = require.resolve('tsx/cli');

interface Run {
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

function runCli(env: Record<string, string>, configYaml?: string): Run {
  const extra: Record<string, string> = {};
  if (configYaml !== undefined) {
    const file = path.join(
      mkdtempSync(path.join(tmpdir(), 'energy-ws-cli-')),
      'config.yaml',
    );
    writeFileSync(file, configYaml);
    extra.ENERGY_WS_CONFIG = file;
  }
  const child = spawn(process.execPath, [tsx, 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...extra, ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', d => (out += d));
  child.stderr.on('data', d => (err += d));
  return {
    out: () => out,
    err: () => err,
    exited: new Promise(resolve => child.on('exit', code => resolve(code))),
    kill: signal => child.kill(signal),
  };
}

describe('energy-ws CLI', () => {
  it('refuses to start without JWT_SECRET, naming the key, with exit code 2', async () => {
    const run = runCli({});
    expect(await run.exited).toBe(2);
    expect(run.err()).toContain(
      'auth.jwtSecret: environment variable JWT_SECRET is not set',
    );
  });

  it('refuses to start with a jwtSecret shorter than 32 bytes', async () => {
    const run = runCli({ JWT_SECRET: 'only-31-bytes-of-secret-0123456' });
    expect(await run.exited).toBe(2);
    expect(run.err()).toContain(
      'auth.jwtSecret: must be at least 32 bytes (HS256 wants 256 bits); generate one with: openssl rand -hex 32',
    );
  });

  it('names a bad key in the config file', async () => {
    const run = runCli(
      { JWT_SECRET: SECRET },
      'kafka:\n  brokers: "nohost"\nauth:\n  jwt_secret: "$(JWT_SECRET)"\n',
    );
    expect(await run.exited).toBe(2);
    expect(run.err()).toMatch(
      /config error: kafka\.brokers\.0: each broker must be host:port/,
    );
    const typo = runCli(
      { JWT_SECRET: SECRET },
      'kafka:\n  brokers: "a:1"\nserver:\n  max_conections: 5\nauth:\n  jwt_secret: x\n',
    );
    expect(await typo.exited).toBe(2);
    expect(typo.err()).toMatch(
      /config error: server: Unrecognized key: "max_conections"/,
    );
  });

  it('serves, never logs a token, and stops gracefully on SIGTERM', async () => {
    const h = new Harness();
    await h.createTopics();
    try {
      const config = h.config();
      const yaml = [
        'kafka:',
        `  brokers: "${h.brokers.join(',')}"`,
        `  topic: "${h.topics.energy}"`,
        `  topics: { heatpump: "${h.topics.heatpump}", temperature: "${h.topics.temperature}" }`,
        `  groupId: "${(config.kafka as { groupId: string }).groupId}"`,
        'server:',
        '  host: 127.0.0.1',
        '  port: 0',
        'auth:',
        '  jwtSecret: "$(JWT_SECRET)"',
      ].join('\n');
      const run = runCli({ JWT_SECRET: SECRET, LOG_LEVEL: 'debug' }, yaml);
      const port = await eventually(
        'the listening log line',
        () => /"port":(\d+)/.exec(run.out())?.[1],
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      const url = `ws://127.0.0.1:${port}/ws/energy`;
      const good = await mintToken(SECRET);
      const bad = (await attackTokens(SECRET)).wrongSecret!;
      const client = await connectClient(url, { token: good });
      client.send({ type: 'ping' });
      await client.next(m => m.type === 'pong');
      const refused = await connectClient(url, { token: bad });
      await refused.closed;
      run.kill('SIGTERM');
      expect((await client.closed).code).toBe(1001);
      expect(await run.exited).toBe(0);
      const logs = run.out() + run.err();
      expect(logs).toContain('refused a connection: invalid token');
      for (const token of [good, bad]) {
        for (const part of token.split('.')) expect(logs).not.toContain(part);
      }
    } finally {
      await h.close();
    }
  });
});
