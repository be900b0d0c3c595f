import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { testInfra } from '@homelab/infra';
import { StreamName } from '@homelab/pipeline-contracts';
import { createLogger } from '@homelab/service-kit';
import { EnergyWsConfigInput, parseConfig } from '../config';
import { EnergyWs, startEnergyWs } from '../server';
import { canonicalRecord, eventually } from '@homelab/test-kit';
import { createTopics, deleteTopics } from '@homelab/test-kit/kafka';

export const SECRET = 'integration-secret-0123456789abcdef';

/**
 * One isolated world per test against the shared Kafka: its own topics and
 * group, so tests can run side by side.
 */
export class Harness {
  readonly id = randomUUID().slice(0, 8);
  readonly brokers = testInfra().kafkaBrokers;
  readonly kafka = new Kafka({
    clientId: `energy-ws-test-${this.id}`,
    brokers: this.brokers,
    logLevel: logLevel.NOTHING,
  });
  readonly admin = this.kafka.admin();
  readonly topics: Record<StreamName, string> = {
    energy: `test.energy-ws.${this.id}.energy`,
    heatpump: `test.energy-ws.${this.id}.heatpump`,
    temperature: `test.energy-ws.${this.id}.temperature`,
  };
  private producer: Producer | undefined;
  private readonly services: EnergyWs[] = [];

  async createTopics(partitions = 1): Promise<void> {
    await this.admin.connect();
    await createTopics(this.admin, Object.values(this.topics), partitions);
    this.producer = this.kafka.producer();
    await this.producer.connect();
  }

  config(
    overrides: {
      kafka?: Record<string, unknown>;
      server?: Record<string, unknown>;
      auth?: Record<string, unknown>;
    } = {},
  ): EnergyWsConfigInput {
    return {
      kafka: {
        brokers: this.brokers,
        topics: this.topics,
        groupId: `energy-ws-test-${this.id}`,
        ...overrides.kafka,
      },
      server: { host: '127.0.0.1', port: 0, ...overrides.server },
      auth: { jwtSecret: SECRET, ...overrides.auth },
    } as EnergyWsConfigInput;
  }

  async start(
    overrides: Parameters<Harness['config']>[0] = {},
  ): Promise<EnergyWs> {
    const service = await startEnergyWs(
      parseConfig(this.config(overrides)),
      createLogger('energy-ws-test', 'silent'),
    );
    this.services.push(service);
    await eventually(
      'the service to be ready',
      async () =>
        (
          await fetch(`http://127.0.0.1:${service.port}/health/ready`)
        ).ok,
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    return service;
  }

  /** Produces canonical records (keyed by device) and returns their offsets. */
  async produce(
    stream: StreamName,
    deviceId: string,
    count: number,
    extraFields: Record<string, number> = {},
  ): Promise<string[]> {
    const result = await this.producer!.send({
      topic: this.topics[stream],
      messages: Array.from({ length: count }, (_, i) => ({
        key: deviceId,
        value: JSON.stringify(
          canonicalRecord(stream, deviceId, { power_kw: i, ...extraFields }),
        ),
      })),
    });
    const base = Number(result[0].baseOffset);
    return Array.from({ length: count }, (_, i) => String(base + i));
  }

  async metric(service: EnergyWs, name: string): Promise<number> {
    const metric = await service.metrics.registry.getSingleMetric(name)?.get();
    return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  }

  /** Repeats `step` (e.g. more load) until the service's counter `name` is at least 1. */
  async repeatUntilCounted(
    service: EnergyWs,
    name: string,
    step: () => Promise<void>,
    timeoutMs: number,
    what: string,
  ): Promise<void> {
    await eventually(
      what,
      async () => {
        if ((await this.metric(service, name)) >= 1) return true;
        await step();
        return false;
      },
      { timeoutMs: timeoutMs, intervalMs: 20 },
    );
  }

  async close(): Promise<void> {
    for (const service of this.services)
      await service.stop('test done').catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await deleteTopics(this.admin, Object.values(this.topics));
    await this.admin.disconnect().catch(() => undefined);
  }
}

/** Gives each test of the file a fresh Harness with its topics, closed afterwards. */
export function harnessPerTest(set: (harness: Harness) => void): void {
  let current: Harness;
  beforeEach(async () => {
    current = new Harness();
    set(current);
    await current.createTopics();
  });
  afterEach(async () => {
    await current.close();
  });
}
