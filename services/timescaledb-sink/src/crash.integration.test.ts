import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { testInfra } from '@homelab/infra';
import {
  connectProducer,
  count,
  createTestTopics,
  dropSchema,
  produceRecords,
  query,
  testTopics,
} from './__testUtils__/harness';
import { canonicalRecord, eventually, uid } from '@homelab/test-kit';

jest.setTimeout(300_000);

const infra = testInfra();
const packageDir = path.resolve(__dirname, '..');
const N = 24_000;

/** Runs the real service (`yarn start`'s command) as a child process. */
function startSinkProcess(configFile: string): {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
} {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SINK_CONFIG: configFile,
    LOG_LEVEL: 'warn',
  };
  // The config file names the database; the runner's URLs must not override it.
  delete env.DATABASE_URL;
  delete env.TIMESCALE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: packageDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', d => (output += d));
  child.stderr!.on('data', d => (output += d));
  const exited = new Promise<number | null>(resolve =>
    child.once('exit', code => resolve(code)),
  );
  return { child, exited, output: () => output };
}

describe('crash', () => {
  const id = uid();
  const topics = testTopics(id);
  const schema = `sink_${id}`;
  const group = `sink-${id}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sink-crash-'));
  let running: ReturnType<typeof startSinkProcess> | undefined;

  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    rmSync(dir, { recursive: true, force: true });
    await dropSchema(infra.databaseUrl, schema);
  });

  it('stores every record exactly once after SIGKILL during writes and a restart', async () => {
    await createTestTopics(infra.kafkaBrokers, topics, 3);
    const configFile = path.join(dir, 'config.yaml');
    // JSON is YAML; small batches make many commits, so the kill lands between and inside them.
    writeFileSync(
      configFile,
      JSON.stringify({
        kafka: {
          brokers: infra.kafkaBrokers,
          group,
          dlqTopic: topics.dlq,
          sessionTimeoutMs: 10000,
        },
        streams: {
          energy: {
            topic: topics.energy,
            table: 'energy_readings',
            columns: { power_kw: 'double precision' },
          },
          heatpump: {
            topic: topics.heatpump,
            table: 'heatpump_readings',
            columns: { d0: 'double precision' },
          },
          temperature: {
            topic: topics.temperature,
            table: 'temperature_readings',
            columns: { temperature_c: 'real' },
          },
        },
        database: { url: infra.databaseUrl, schema },
        batch: { maxRows: 250, maxWaitMs: 50 },
        retry: { initialBackoffMs: 100, maxBackoffMs: 1000 },
        ops: { host: '127.0.0.1', port: 0 },
      }),
    );

    const base = Date.parse('2026-01-01T00:00:00Z');
    const records = Array.from({ length: N }, (_, i) =>
      canonicalRecord(
        'energy',
        `meter-${i % 12}`,
        {
          power_kw: i,
        },
        new Date(base + i * 1000),
      ),
    );
    const producer = await connectProducer(infra.kafkaBrokers);

    running = startSinkProcess(configFile);
    // Records keep flowing while the sink writes, as they would in production.
    const flowing = (async () => {
      for (let i = 0; i < N; i += 1000) {
        await produceRecords(
          producer,
          topics.energy,
          records.slice(i, i + 1000),
        );
        await new Promise(r => setTimeout(r, 50));
      }
    })();

    const atKill = await eventually(
      'the sink to be writing',
      async () => {
        const n = await count(
          infra.databaseUrl,
          schema,
          'energy_readings',
        ).catch(() => 0);
        return n >= 2000 ? n : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 25 },
    );
    running.child.kill('SIGKILL');
    await running.exited;
    const afterKill = await count(infra.databaseUrl, schema, 'energy_readings');
    expect(afterKill).toBeLessThan(N);
    expect(afterKill).toBeGreaterThanOrEqual(atKill);

    await flowing;
    await producer.disconnect();

    running = startSinkProcess(configFile);
    await eventually(
      'all records stored',
      async () =>
        (await count(infra.databaseUrl, schema, 'energy_readings')) >= N,
      { timeoutMs: 180_000, intervalMs: 250 },
    );

    // Wait until the group has committed everything, so no late write can add rows.
    const admin = new Kafka({
      brokers: infra.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    await eventually(
      'offsets committed to the end',
      async () => {
        const [committed] = await admin.fetchOffsets({
          groupId: group,
          topics: [topics.energy],
        });
        const sum = committed.partitions.reduce(
          (s, p) => s + Math.max(0, Number(p.offset)),
          0,
        );
        return sum === N;
      },
      { timeoutMs: 60_000 },
    );
    await admin.disconnect();

    const [stats] = await query<{
      rows: string;
      distinct_keys: string;
      distinct_values: string;
      total: string;
    }>(
      infra.databaseUrl,
      `SELECT count(*) AS rows, count(DISTINCT (device_id, ts)) AS distinct_keys,
              count(DISTINCT power_kw) AS distinct_values, sum(power_kw)::bigint AS total
       FROM "${schema}".energy_readings`,
    );
    expect(Number(stats.rows)).toBe(N);
    expect(Number(stats.distinct_keys)).toBe(N);
    expect(Number(stats.distinct_values)).toBe(N);
    expect(Number(stats.total)).toBe(((N - 1) * N) / 2);

    // SIGTERM is a graceful stop: the batch in flight finishes and the process exits 0.
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  });
});
