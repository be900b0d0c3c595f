import { Config } from '@backstage/config';
import { unknownNameError } from '../errors';
import { Admin, Kafka, KafkaConfig, logLevel, SASLOptions } from 'kafkajs';
import type { LoggerService } from '@backstage/backend-plugin-api';

export interface KafkaClusterConfig {
  name: string;
  brokers: string[];
  ssl?: KafkaConfig['ssl'];
  sasl?: SASLOptions;
  dashboardUrl?: string;
}

export interface KafkaSettings {
  clientId: string;
  clusters: KafkaClusterConfig[];
}

/** Reads the `kafka:` block, the same shape the community Kafka plugin reads. */
export function readKafkaSettings(config: Config): KafkaSettings {
  const kafka = config.getOptionalConfig('kafka');
  const clusters = (kafka?.getOptionalConfigArray('clusters') ?? []).map(c => {
    const sasl = c.getOptionalConfig('sasl');
    return {
      name: c.getString('name'),
      // An entry may hold a comma-separated list, so one env variable can carry all brokers.
      brokers: c
        .getStringArray('brokers')
        .flatMap(b => b.split(','))
        .map(b => b.trim())
        .filter(Boolean),
      ssl: c.getOptional('ssl') as KafkaConfig['ssl'],
      sasl: sasl
        ? ({
            mechanism: sasl.getString('mechanism'),
            username: sasl.getString('username'),
            password: sasl.getString('password'),
          } as SASLOptions)
        : undefined,
      dashboardUrl: c.getOptionalString('dashboardUrl'),
    };
  });
  const names = new Set<string>();
  for (const c of clusters) {
    if (names.has(c.name))
      throw new Error(
        `kafka.clusters: cluster name "${c.name}" is configured twice`,
      );
    names.add(c.name);
  }
  return {
    clientId: kafka?.getOptionalString('clientId') ?? 'backstage',
    clusters,
  };
}

/** How long a failed connect answers for the cluster before the next try. */
const UNREACHABLE_PAUSE_MS = 5000;

/** kafkajs' error when a topic vanished under a client that still targets it. */
export function isStaleTopicError(error: unknown): boolean {
  const e = error as { type?: string; message?: string } | undefined;
  return (
    e?.type === 'UNKNOWN_TOPIC_OR_PARTITION' ||
    /does not host this topic-partition/.test(String(e?.message ?? error))
  );
}

/**
 * One connected admin client per configured cluster, created on first use and
 * shared by every request and by the sampler. Broker addresses come only from
 * here: a request can name a cluster, never an address.
 *
 * Every use of a cluster's client goes through `withAdmin`, one at a time.
 * kafkajs keeps a single metadata snapshot per client, and `listTopics`,
 * `fetchTopicMetadata` and `fetchTopicOffsets` each replace it with a
 * snapshot of only the topics they asked for. Two of them in flight at once
 * let one find its topic missing from the other's snapshot, and kafkajs then
 * fails with "Cannot destructure property 'partitions' of 'high.pop(...)'".
 * Reads are a few loopback round trips, so queueing costs little.
 */
export class KafkaClusters {
  private readonly admins = new Map<string, Promise<Admin>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly unreachable = new Map<
    string,
    { until: number; error: unknown }
  >();

  constructor(
    private readonly settings: KafkaSettings,
    private readonly logger: LoggerService,
  ) {}

  names(): string[] {
    return this.settings.clusters.map(c => c.name);
  }

  info() {
    return this.settings.clusters.map(c => ({
      name: c.name,
      dashboardUrl: c.dashboardUrl,
    }));
  }

  /** Throws a 400 naming the configured clusters when `name` is not one of them. */
  cluster(name: string, annotation?: string): KafkaClusterConfig {
    const found = this.settings.clusters.find(c => c.name === name);
    if (!found)
      throw unknownNameError('cluster', name, this.names(), {
        annotation,
        addWhere: 'kafka.clusters',
      });
    return found;
  }

  /**
   * Runs `use` with the cluster's client once every earlier use has
   * finished. A topic deleted under the client leaves kafkajs asking for it
   * on every metadata refresh, which fails reads of other topics too; on
   * that error the client is dropped and `use` runs once more on a fresh one.
   */
  withAdmin<T>(name: string, use: (admin: Admin) => Promise<T>): Promise<T> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const run = previous.then(async () => {
      try {
        return await use(await this.admin(name));
      } catch (error) {
        if (!isStaleTopicError(error)) throw error;
        await this.reset(name);
        return use(await this.admin(name));
      }
    });
    const settled = run.catch(() => undefined);
    this.queues.set(name, settled);
    // Forget the queue once idle, so the map holds no settled chains.
    settled.then(() => {
      if (this.queues.get(name) === settled) this.queues.delete(name);
    });
    return run;
  }

  /** A kafkajs client for the cluster, from config only. */
  client(name: string): Kafka {
    const c = this.cluster(name);
    return new Kafka({
      clientId: this.settings.clientId,
      brokers: c.brokers,
      ssl: c.ssl,
      sasl: c.sasl,
      connectionTimeout: 3000,
      requestTimeout: 10000,
      retry: { retries: 2, initialRetryTime: 200 },
      logLevel: logLevel.NOTHING,
    });
  }

  private admin(name: string): Promise<Admin> {
    // Uses queue one after the other: while a cluster is unreachable, the
    // ones behind a failed connect fail at once instead of each waiting out
    // its own connection timeout.
    const down = this.unreachable.get(name);
    if (down && down.until > Date.now()) return Promise.reject(down.error);
    let admin = this.admins.get(name);
    if (!admin) {
      const client = this.client(name).admin();
      admin = client.connect().then(() => {
        this.unreachable.delete(name);
        return client;
      });
      // A failed connect must not poison the cache: a use after the pause retries.
      admin.catch(error => {
        this.logger.warn(`Kafka cluster ${name}: cannot connect: ${error}`);
        this.admins.delete(name);
        this.unreachable.set(name, {
          until: Date.now() + UNREACHABLE_PAUSE_MS,
          error,
        });
      });
      this.admins.set(name, admin);
    }
    return admin;
  }

  /** Drops a cluster's client so the next use connects afresh. */
  private async reset(name: string) {
    const admin = this.admins.get(name);
    this.admins.delete(name);
    await admin?.then(a => a.disconnect()).catch(() => undefined);
  }

  async close() {
    const admins = [...this.admins.values()];
    this.admins.clear();
    await Promise.all(
      admins.map(a => a.then(x => x.disconnect()).catch(() => undefined)),
    );
  }
}
