/* Helpers for the integration tests: real Mosquitto, real Kafka, the real bridge. */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, KafkaMessage, logLevel } from 'kafkajs';
import mqtt, { MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { createLogger } from '@homelab/service-kit';
import { eventually, uid } from '@homelab/test-kit';
import { RunningBridge, startBridge } from '../bridge';
import { bridgeConfigSchema } from '../config';

// Tests run from source, so __dirname is this folder.
// eslint-disable-next-line no-restricted-syntax
export const SERVICE_DIR = path.resolve(__dirname, '../..');

/** A config (as YAML object) with topics and MQTT prefix unique to one test. */
export function testConfig(options: {
  id: string;
  kafkaBrokers: string[];
  mqttUrl: string;
  extra?: Record<string, unknown>;
}) {
  const { id } = options;
  const prefix = `t${id}`;
  const topics = {
    energy: `homelab.energy.${id}`,
    heatpump: `homelab.heatpump.${id}`,
    temperature: `homelab.temperature.${id}`,
    dlq: `homelab.dlq.${id}`,
  };
  const config = {
    bridgeId: `bridge-${id}`,
    mqtt: {
      url: options.mqttUrl,
      clientId: `bridge-${id}`,
      keepaliveSeconds: 5,
      reconnectPeriodMs: 500,
    },
    kafka: {
      brokers: options.kafkaBrokers,
      topics: {
        energy: { name: topics.energy, partitions: 3 },
        heatpump: { name: topics.heatpump },
        temperature: { name: topics.temperature },
        dlq: { name: topics.dlq },
      },
    },
    routes: (['energy', 'heatpump', 'temperature'] as const).map(stream => ({
      filter: `${prefix}/${stream}/#`,
      stream,
      deviceIdSegment: 2,
    })),
    ops: { host: '127.0.0.1', port: 0 },
    ...options.extra,
  };
  return { config, prefix, topics };
}

export function writeConfig(config: unknown): string {
  const file = path.join(
    mkdtempSync(path.join(tmpdir(), 'bridge-test-')),
    'config.yaml',
  );
  writeFileSync(file, typeof config === 'string' ? config : stringify(config));
  return file;
}

export interface BridgeProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  opsPort: () => Promise<number>;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs src/main.ts in its own process, as `yarn start` would (or, with
 * `nodeArgs`, another entry point such as the image's bundle).
 */
export function spawnBridge(
  configFile: string,
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = ['--import', 'tsx', 'src/main.ts'],
): BridgeProcess {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: SERVICE_DIR,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'info',
      ...env,
      CONFIG_FILE: configFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', d => (out += d));
  child.stderr!.on('data', d => (err += d));
  const exited = new Promise<number | null>(resolve =>
    child.on('exit', code => resolve(code)),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    opsPort: () =>
      eventually(
        'the bridge to start',
        () => {
          const m = /"opsPort":(\d+)/.exec(out);
          return m ? Number(m[1]) : undefined;
        },
        { timeoutMs: 60_000 },
      ),
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null)
        child.kill(signal);
      return exited;
    },
  };
}

export async function health(
  port: number,
): Promise<{ status: string; details: any }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return res.json() as Promise<{ status: string; details: any }>;
}

export async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter(l => l.startsWith(name) && !l.startsWith(`${name}_`))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** A device: QoS 1 with a persistent session, as the guarantee assumes. */
export async function connectPublisher(
  url: string,
  clientId: string,
): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    clientId,
    clean: false,
    reconnectPeriod: 500,
    protocolVersion: 4,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** Collects every message of a topic from the beginning, in its own consumer group. */
export class TopicReader {
  readonly messages: KafkaMessage[] = [];
  private readonly consumer;

  private constructor(brokers: string[], private readonly topic: string) {
    const kafka = new Kafka({
      clientId: 'bridge-test-reader',
      brokers,
      logLevel: logLevel.NOTHING,
    });
    this.consumer = kafka.consumer({
      groupId: `bridge-test-${uid()}`,
      maxWaitTimeInMs: 100,
    });
  }

  static async start(brokers: string[], topic: string): Promise<TopicReader> {
    const reader = new TopicReader(brokers, topic);
    await reader.consumer.connect();
    await reader.consumer.subscribe({ topic, fromBeginning: true });
    await reader.consumer.run({
      eachBatch: async ({ batch }) => {
        reader.messages.push(...batch.messages);
      },
    });
    return reader;
  }

  async waitForCount(n: number, timeoutMs = 60_000): Promise<KafkaMessage[]> {
    await eventually(
      `${n} messages in ${this.topic} (have ${this.messages.length})`,
      () => this.messages.length >= n,
      { timeoutMs },
    );
    return this.messages;
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

export function headers(m: KafkaMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)]),
  );
}

/** The bridge in the test's own process, ready (connected and subscribed) on return. */
export async function startTestBridge(
  config: unknown,
  name: string,
): Promise<RunningBridge> {
  const bridge = await startBridge(
    bridgeConfigSchema.parse(config),
    createLogger(name, 'error'),
  );
  await eventually(
    'the bridge to be ready',
    async () => (await health(bridge.opsPort)).status === 'ok',
  );
  return bridge;
}
