import type { Config } from '@backstage/config';

/** A service's ops endpoints, from config only. */
export interface PipelineServiceSettings {
  name: string;
  metricsUrl?: string;
  healthUrl?: string;
}

export interface ConsumerSettings {
  service: string;
  consumerGroup: string;
}

/** One pipeline: its chain of stages (devices to browsers), and where each stage is measured. */
export interface PipelineSettings {
  name: string;
  kafkaCluster: string;
  topics: string[];
  dlqTopic?: string;
  database?: string;
  hypertables: string[];
  devices?: string;
  bridge?: string;
  sink?: ConsumerSettings;
  live?: ConsumerSettings;
}

export interface PipelineViewSettings {
  scrapeIntervalMs: number;
  timeoutMs: number;
  services: Map<string, PipelineServiceSettings>;
  pipelines: Map<string, PipelineSettings>;
}

const KEY = 'streaming.pipeline';

function url(c: Config, key: string, where: string): string | undefined {
  const value = c.getOptionalString(key);
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`${where}.${key} must be an http(s) URL, got "${value}"`);
  }
  if (!['http:', 'https:'].includes(parsed.protocol))
    throw new Error(`${where}.${key} must be an http(s) URL, got "${value}"`);
  return value;
}

function seconds(
  c: Config | undefined,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = c?.getOptionalNumber(key) ?? fallback;
  if (!(value >= min && value <= max))
    throw new Error(
      `${KEY}.${key} must be between ${min} and ${max} seconds, got ${value}`,
    );
  return value * 1000;
}

function consumer(c: Config | undefined): ConsumerSettings | undefined {
  if (!c) return undefined;
  return {
    service: c.getString('service'),
    consumerGroup: c.getString('consumerGroup'),
  };
}

/**
 * Reads `streaming.pipeline`. Every address comes from here; an entity only
 * names a pipeline (annotation `streaming.homelab.dev/pipeline`), and a
 * pipeline only names services configured here. Mistakes stop the backend at
 * start with the key to fix.
 */
export function readPipelineSettings(config: Config): PipelineViewSettings {
  const root = config.getOptionalConfig(KEY);
  const services = new Map<string, PipelineServiceSettings>();
  const servicesConfig = root?.getOptionalConfig('services');
  for (const name of servicesConfig?.keys() ?? []) {
    const c = servicesConfig!.getConfig(name);
    const where = `${KEY}.services.${name}`;
    services.set(name, {
      name,
      metricsUrl: url(c, 'metricsUrl', where),
      healthUrl: url(c, 'healthUrl', where),
    });
  }
  const pipelines = new Map<string, PipelineSettings>();
  const pipelinesConfig = root?.getOptionalConfig('pipelines');
  for (const name of pipelinesConfig?.keys() ?? []) {
    const c = pipelinesConfig!.getConfig(name);
    const where = `${KEY}.pipelines.${name}`;
    const pipeline: PipelineSettings = {
      name,
      kafkaCluster: c.getString('kafkaCluster'),
      topics: c.getOptionalStringArray('topics') ?? [],
      dlqTopic: c.getOptionalString('dlqTopic'),
      database: c.getOptionalString('database'),
      hypertables: c.getOptionalStringArray('hypertables') ?? [],
      devices: c.getOptionalString('devices'),
      bridge: c.getOptionalString('bridge'),
      sink: consumer(c.getOptionalConfig('sink')),
      live: consumer(c.getOptionalConfig('live')),
    };
    const named: Array<[string, string | undefined]> = [
      ['devices', pipeline.devices],
      ['bridge', pipeline.bridge],
      ['sink.service', pipeline.sink?.service],
      ['live.service', pipeline.live?.service],
    ];
    for (const [key, service] of named) {
      if (service !== undefined && !services.has(service))
        throw new Error(
          `${where}.${key} names service "${service}", which is not under ${KEY}.services (configured: ${
            [...services.keys()].join(', ') || 'none'
          })`,
        );
    }
    if (pipeline.hypertables.length && !pipeline.database)
      throw new Error(
        `${where}.hypertables needs ${where}.database, a streaming.timescale.databases name`,
      );
    pipelines.set(name, pipeline);
  }
  return {
    scrapeIntervalMs: seconds(root, 'scrapeIntervalSeconds', 5, 1, 300),
    timeoutMs: seconds(root, 'timeoutSeconds', 3, 1, 30),
    services,
    pipelines,
  };
}

/** Each pipeline's cluster and database must be configured too: checked at start, not on the first request. */
export function checkPipelineTargets(
  settings: PipelineViewSettings,
  clusters: string[],
  databases: string[],
) {
  for (const p of settings.pipelines.values()) {
    const where = `${KEY}.pipelines.${p.name}`;
    if (!clusters.includes(p.kafkaCluster))
      throw new Error(
        `${where}.kafkaCluster names "${
          p.kafkaCluster
        }", which is not under kafka.clusters (configured: ${
          clusters.join(', ') || 'none'
        })`,
      );
    if (p.database && !databases.includes(p.database))
      throw new Error(
        `${where}.database names "${
          p.database
        }", which is not under streaming.timescale.databases (configured: ${
          databases.join(', ') || 'none'
        })`,
      );
  }
}
