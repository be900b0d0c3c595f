/**
 * The limit the bridge is measured against: `kcat -P` (librdkafka) producing
 * the same canonical records with idempotence and acks=all, into a topic of
 * the same shape, on the same machine in the same run.
 */
import { Kafka, logLevel } from 'kafkajs';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordMessage } from '../src/kafkaMessage';
import { normalise } from '../src/normalise';

export interface KcatResult {
  seconds: number;
  rate: number;
  /** kcat's user + system CPU per record. */
  cpuUs: number;
  rssMb: number;
}

/**
 * One canonical record per line, `key<TAB>value`, built by the bridge's own
 * normalise + recordMessage from the payloads the benchmark publishes.
 * Returns the file and one record's headers.
 */
function canonicalRecords(records: number, prefix: string) {
  const route = {
    filter: `${prefix}/energy/#`,
    stream: 'energy' as const,
    topic: 'homelab.energy',
    deviceIdSegment: 2,
  };
  const lines: string[] = [];
  let headers: Record<string, string> = {};
  for (let n = 0; n < records; n++) {
    const nowMs = Date.now();
    const topic = `${prefix}/energy/meter-${n % 16}`;
    const result = normalise(
      route,
      {
        topic,
        payload: Buffer.from(
          JSON.stringify({
            sent_ms: nowMs,
            seq: n,
            power_kw: 3.2,
            voltage: 230,
          }),
        ),
        qos: 1,
        retained: false,
      },
      {
        bridgeId: 'bridge-bench',
        maxPayloadBytes: 262144,
        maxFutureMs: 86_400_000,
        nowMs,
        bounds: {
          maxDeviceIdBytes: 128,
          deviceIdPattern: /^.+$/u,
          maxFields: 256,
          maxFieldNameBytes: 128,
          maxDepth: 8,
        },
        stampTimeless: (_device, ms) => new Date(ms).toISOString(),
      },
    );
    if (!result.ok) throw new Error(`bench record refused: ${result.reason}`);
    const out = recordMessage(route.topic, result.record, {
      topic,
      payload: Buffer.alloc(0),
      qos: 1,
      retained: false,
    });
    headers = out.message.headers as Record<string, string>;
    lines.push(`${out.message.key}\t${out.message.value}`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'bridge-bench-kcat-'));
  const file = path.join(dir, 'records.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { dir, file, headers };
}

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', d => (stderr += d));
    child.on('error', reject);
    child.on('exit', code => resolve({ code, stderr }));
  });
}

export async function timeKcat(options: {
  brokers: string[];
  topic: string;
  partitions: number;
  records: number;
  prefix: string;
}): Promise<KcatResult> {
  const admin = new Kafka({
    clientId: 'bridge-bench-kcat',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: options.topic,
        numPartitions: options.partitions,
        replicationFactor: 1,
      },
    ],
  });
  await admin.disconnect();
  const { dir, file, headers } = canonicalRecords(
    options.records,
    options.prefix,
  );
  try {
    // kcat's -H puts the same headers on every record: the bridge's headers
    // differ per message only in received_at and the MQTT topic, of the same size.
    const headerArgs = Object.entries(headers).flatMap(([k, v]) => [
      '-H',
      `${k}=${v}`,
    ]);
    const timeFile = path.join(dir, 'time.txt');
    const { code, stderr } = await run('/usr/bin/time', [
      '-f',
      '%e %U %S %M',
      '-o',
      timeFile,
      'kcat',
      '-P',
      '-b',
      options.brokers.join(','),
      '-t',
      options.topic,
      '-K',
      '\t',
      ...headerArgs,
      '-X',
      'enable.idempotence=true',
      '-X',
      'acks=all',
      // Java's murmur2, as the bridge partitions (kafkajs DefaultPartitioner).
      '-X',
      'topic.partitioner=murmur2_random',
      '-l',
      file,
    ]);
    if (code !== 0) throw new Error(`kcat exited with ${code}: ${stderr}`);
    const [elapsed, user, system, maxKb] = readFileSync(timeFile, 'utf8')
      .trim()
      .split('\n')
      .pop()!
      .split(' ')
      .map(Number);
    return {
      seconds: elapsed,
      rate: options.records / elapsed,
      cpuUs: ((user + system) * 1e6) / options.records,
      rssMb: maxKb / 1024,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
