import { startKafka } from './kafka/cluster';
import { startMosquitto } from './mosquitto/server';
import { startPostgres } from './postgres/server';
import { startTimescale } from './timescale/server';

export type Component = 'kafka' | 'mosquitto' | 'postgres' | 'timescale';

/** The one variable through which each component reaches services and tests. */
export const ENV_VARS: Record<Component, string> = {
  kafka: 'KAFKA_BROKERS',
  mosquitto: 'MQTT_URL',
  postgres: 'DATABASE_URL',
  timescale: 'TIMESCALE_URL',
};

export const COMPONENTS = Object.keys(ENV_VARS) as Component[];

export interface InfraPlan {
  /** Components whose variable is already set: the user's own server is used. */
  provided: Partial<Record<Component, string>>;
  /** Components this runner has to start. */
  toStart: Component[];
}

/** Decides what to start: anything whose variable is set (non-empty) is left to the user. */
export function planInfra(env: NodeJS.ProcessEnv): InfraPlan {
  const provided: InfraPlan['provided'] = {};
  const toStart: Component[] = [];
  for (const component of COMPONENTS) {
    const value = env[ENV_VARS[component]]?.trim();
    if (value) provided[component] = value;
    else toStart.push(component);
  }
  return { provided, toStart };
}

export interface StartInfraOptions {
  /** Where KAFKA_BROKERS, MQTT_URL, DATABASE_URL and TIMESCALE_URL are looked up (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Kafka brokers to start (default 1). */
  kafkaBrokers?: number;
  log?: (line: string) => void;
}

export interface Infra {
  /** KAFKA_BROKERS, MQTT_URL, DATABASE_URL, TIMESCALE_URL: provided ones unchanged, started ones filled in. */
  env: Record<string, string>;
  /** Seconds each started component took to become healthy. */
  startupSeconds: Partial<Record<Component, number>>;
  stop(): Promise<void>;
}

interface Started {
  value: string;
  stop(): Promise<void>;
}

async function startComponent(
  component: Component,
  options: StartInfraOptions,
): Promise<Started> {
  switch (component) {
    case 'kafka': {
      const cluster = await startKafka({
        brokers: options.kafkaBrokers,
        log: options.log,
      });
      return { value: cluster.bootstrap, stop: cluster.stop };
    }
    case 'mosquitto': {
      const server = await startMosquitto();
      return { value: server.url, stop: server.stop };
    }
    case 'postgres': {
      const server = await startPostgres();
      return { value: server.url, stop: server.stop };
    }
    case 'timescale': {
      const server = await startTimescale();
      return { value: server.url, stop: server.stop };
    }
    default:
      throw new Error(`Unknown component ${component}`);
  }
}

/**
 * Starts, in parallel, every component the environment does not already
 * point at. If one fails, the others are stopped and all failures are reported.
 */
export async function startInfra(
  options: StartInfraOptions = {},
): Promise<Infra> {
  const log = options.log ?? (() => undefined);
  const plan = planInfra(options.env ?? process.env);
  const env: Record<string, string> = {};
  for (const [component, value] of Object.entries(plan.provided)) {
    env[ENV_VARS[component as Component]] = value;
    log(
      `${
        ENV_VARS[component as Component]
      } is set: using ${value}, not starting ${component}`,
    );
  }

  const startupSeconds: Infra['startupSeconds'] = {};
  const started: Started[] = [];
  const results = await Promise.allSettled(
    plan.toStart.map(async component => {
      const t0 = Date.now();
      const result = await startComponent(component, options);
      started.push(result);
      startupSeconds[component] = (Date.now() - t0) / 1000;
      env[ENV_VARS[component]] = result.value;
      log(
        `${component} ready in ${startupSeconds[component]!.toFixed(1)} s: ${
          ENV_VARS[component]
        }=${result.value}`,
      );
    }),
  );
  const stop = async () => {
    await Promise.allSettled(started.map(s => s.stop()));
  };
  const failures = results.flatMap(r =>
    r.status === 'rejected' ? [r.reason as Error] : [],
  );
  if (failures.length) {
    await stop();
    throw new Error(
      `Local infrastructure did not start:\n\n${failures
        .map(f => f.message)
        .join('\n\n')}`,
    );
  }
  return { env, startupSeconds, stop };
}
