import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HOST, freePort, portOrFree } from '../ports';
import { supervise, Supervised } from '../process/supervisor';
import { waitReady } from '../process/waitReady';
import { runOrThrow } from '../process/run';
import { makeRunDir, removeDir } from '../tmp';
import { BrokerAddress, log4jProperties, serverProperties } from './config';
import { clusterHasBrokers } from './health';
import { appendThreadDump, brokerJvmArgs, toolJvmArgs } from './java';
import { classPath, KAFKA_SERVER, STORAGE_TOOL } from './tool';
import { SecureKafkaOptions, scramFormatArgs, writeKeystore } from './secure';

export interface StartKafkaOptions {
  /** Number of combined broker+controller nodes (default 1). */
  brokers?: number;
  /** Client ports, one per broker; free ports are picked when absent. */
  ports?: number[];
  /** Where brokers keep their data; a temporary directory (removed on stop) when absent. */
  dataDir?: string;
  log?: (line: string) => void;
  /** How long to wait for the whole cluster to be healthy (default 120 s). */
  startTimeoutMs?: number;
  /**
   * group.initial.rebalance.delay.ms; 0 unless given, so tests join groups
   * fast. Pass 3000 (Kafka's and Redpanda's default) to test as production runs.
   */
  groupInitialRebalanceDelayMs?: number;
  /**
   * Adds a SASL_SSL listener on its own port beside PLAINTEXT, with SCRAM
   * users created by Kafka's own storage tool (see kafka/secure.ts). Absent:
   * plaintext only, as before.
   */
  secure?: SecureKafkaOptions;
}

export interface KafkaCluster {
  /** 'host:port' of each broker, by index. */
  brokers: string[];
  /** Comma-separated bootstrap list, the KAFKA_BROKERS format. */
  bootstrap: string;
  /** 'host:port' of each broker's SASL_SSL listener; empty without `secure`. */
  secureBrokers: string[];
  /** Stops every broker and removes the temporary data directory. */
  stop(): Promise<void>;
  /** Stops one broker cleanly; its port and data are kept for startBroker(). */
  stopBroker(index: number): Promise<void>;
  /** Starts a stopped broker again on the same port and data, and waits until the cluster lists it. */
  startBroker(index: number): Promise<void>;
}

interface BrokerNode extends BrokerAddress {
  dir: string;
  child?: Supervised;
}

/** A random KRaft cluster id: 16 bytes, base64url without padding, as `kafka-storage random-uuid` prints. */
function randomClusterId(): string {
  // A base64url id may begin with '-', which kafka-storage's argument parser
  // reads as an option ("expected one argument"); Kafka's own ids are 16 bytes
  // in base64url too, so only the first character is constrained.
  const id = randomBytes(16).toString('base64url');
  return id.startsWith('-') ? `A${id.slice(1)}` : id;
}

export async function startKafka(
  options: StartKafkaOptions = {},
): Promise<KafkaCluster> {
  const count = options.brokers ?? options.ports?.length ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new Error(
      `startKafka: brokers must be a positive integer, got ${count}`,
    );
  if (options.ports && options.ports.length !== count) {
    throw new Error(
      `startKafka: ${count} brokers but ${options.ports.length} ports were given`,
    );
  }
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const { java, classPath: cp } = await classPath();

  const ownsDir = !options.dataDir;
  const root = options.dataDir ?? makeRunDir('kafka');
  const nodes: BrokerNode[] = [];
  for (let index = 0; index < count; index++) {
    nodes.push({
      index,
      port: await portOrFree(options.ports?.[index], `Kafka broker ${index}`),
      controllerPort: await freePort(),
      securePort: options.secure ? await freePort() : undefined,
      dir: path.join(root, `broker-${index}`),
    });
  }
  const clusterId = randomClusterId();
  const keystoreFile = options.secure && writeKeystore(root, options.secure);
  const address = (n: BrokerNode) => `${HOST}:${n.port}`;
  const files = (n: BrokerNode) => ({
    config: path.join(n.dir, 'server.properties'),
    log4j: path.join(n.dir, 'log4j2.properties'),
    data: path.join(n.dir, 'data'),
    log: path.join(n.dir, 'kafka.log'),
  });

  async function prepare(node: BrokerNode) {
    const f = files(node);
    mkdirSync(node.dir, { recursive: true });
    writeFileSync(
      f.config,
      serverProperties(node, nodes, f.data, {
        groupInitialRebalanceDelayMs: options.groupInitialRebalanceDelayMs,
        secure: keystoreFile
          ? {
              keystoreFile,
              plainUsers: (options.secure?.users ?? []).filter(
                u => u.mechanism === 'plain',
              ),
            }
          : undefined,
      }),
    );
    writeFileSync(f.log4j, log4jProperties('broker'));
    // A data dir given by the caller may already be formatted: its data is the point.
    if (existsSync(path.join(f.data, 'meta.properties'))) return;
    await runOrThrow(
      `Formatting Kafka storage for broker ${node.index}`,
      java,
      [
        ...toolJvmArgs(f.log4j),
        '-cp',
        cp,
        STORAGE_TOOL,
        'format',
        '--cluster-id',
        clusterId,
        '--config',
        f.config,
        ...scramFormatArgs(options.secure),
      ],
    );
  }

  function launch(node: BrokerNode): Supervised {
    const f = files(node);
    node.child = supervise({
      name: `Kafka broker ${node.index} (${address(node)})`,
      command: java,
      args: [...brokerJvmArgs(f.log4j), '-cp', cp, KAFKA_SERVER, f.config],
      logFile: f.log,
      cwd: node.dir,
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 30_000,
    });
    return node.child;
  }

  const running = () => nodes.filter(n => n.child?.isRunning());
  async function waitHealthy(watched: BrokerNode[]) {
    await waitReady(
      watched.map(n => n.child!),
      {
        timeoutMs,
        intervalMs: 500,
        diagnose: async () => {
          await Promise.all(
            watched.map(n =>
              appendThreadDump(java, n.child!.pid, n.child!.logFile),
            ),
          );
        },
        check: async () => {
          const up = running();
          return clusterHasBrokers(
            up.map(address),
            up.map(n => n.index + 1),
          );
        },
      },
    );
  }

  const started = Date.now();
  try {
    await Promise.all(nodes.map(prepare));
    nodes.forEach(launch);
    await waitHealthy(nodes);
  } catch (error) {
    await Promise.allSettled(nodes.map(n => n.child?.stop()));
    if (ownsDir) removeDir(root);
    throw error;
  }
  log(
    `Kafka: ${count} broker(s) at ${nodes.map(address).join(',')} ready in ${(
      (Date.now() - started) /
      1000
    ).toFixed(1)} s (data in ${root})`,
  );

  const nodeAt = (index: number) => {
    const node = nodes[index];
    if (!node)
      throw new Error(
        `No Kafka broker ${index}: the cluster has brokers 0..${count - 1}`,
      );
    return node;
  };

  return {
    brokers: nodes.map(address),
    bootstrap: nodes.map(address).join(','),
    secureBrokers: nodes
      .filter(n => n.securePort !== undefined)
      .map(n => `${HOST}:${n.securePort}`),
    async stop() {
      await Promise.allSettled(nodes.map(n => n.child?.stop()));
      if (ownsDir) removeDir(root);
    },
    async stopBroker(index) {
      await nodeAt(index).child?.stop();
    },
    async startBroker(index) {
      const node = nodeAt(index);
      if (node.child?.isRunning()) return;
      launch(node);
      await waitHealthy([node]);
    },
  };
}
