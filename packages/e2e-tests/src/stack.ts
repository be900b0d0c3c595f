import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { freePort, Portal, startPortal } from './portal';
import { RunningService, startService } from './services';

const run = promisify(execFile);

/** The shared servers of `homelab-infra exec`, from the environment. */
export function infraFromEnv() {
  const infra = {
    kafka: process.env.KAFKA_BROKERS!,
    mqtt: process.env.MQTT_URL!,
    database: process.env.DATABASE_URL!,
    timescale: process.env.TIMESCALE_URL!,
  };
  for (const [name, value] of Object.entries(infra)) {
    if (!value)
      throw new Error(
        `${name} is not set: run the tests through bin/test or homelab-infra exec`,
      );
  }
  return infra;
}

export interface Stack {
  infra: ReturnType<typeof infraFromEnv>;
  services: RunningService[];
  energyWs: RunningService;
  portal: Portal;
  /** mosquitto_pub at QoS 1, as a device would publish. */
  publish(topic: string, payload: string | object): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The bridge (first: it provisions the topics), the sink, energy-ws and the
 * portal, each on free ports against the shared servers.
 */
export async function startStack(): Promise<Stack> {
  const infra = infraFromEnv();
  const jwtSecret = randomBytes(32).toString('hex');
  const [bridgePort, sinkPort, wsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const common = { KAFKA_BROKERS: infra.kafka, MQTT_URL: infra.mqtt };
  const services: RunningService[] = [];
  const stop = async () => {
    for (const service of [...services].reverse()) await service.stop();
  };
  try {
    services.push(
      await startService(
        'mqtt-kafka-bridge',
        {
          ...common,
          OPS_PORT: String(bridgePort),
          MQTT_CLIENT_ID: `e2e-bridge-${bridgePort}`,
          BRIDGE_ID: 'e2e-bridge',
        },
        `http://127.0.0.1:${bridgePort}/health`,
      ),
    );
    services.push(
      await startService(
        'timescaledb-sink',
        {
          ...common,
          OPS_PORT: String(sinkPort),
          TIMESCALE_URL: infra.timescale,
        },
        `http://127.0.0.1:${sinkPort}/health`,
      ),
    );
    const energyWs = await startService(
      'energy-ws',
      { ...common, PORT: String(wsPort), JWT_SECRET: jwtSecret },
      `http://127.0.0.1:${wsPort}/health`,
    );
    services.push(energyWs);
    const portal = await startPortal({
      databaseUrl: infra.database,
      env: {
        KAFKA_BROKERS: infra.kafka,
        TIMESCALE_URL: infra.timescale,
        JWT_SECRET: jwtSecret,
        ENERGY_WS_URL: `ws://127.0.0.1:${wsPort}/ws/energy`,
        // The pipeline view scrapes these (app-config streaming.pipeline); no simulator runs here.
        BRIDGE_OPS_PORT: String(bridgePort),
        SINK_OPS_PORT: String(sinkPort),
        ENERGY_WS_PORT: String(wsPort),
        SIMULATOR_OPS_PORT: String(await freePort()),
      },
    });
    return {
      infra,
      services,
      energyWs,
      portal,
      async publish(topic, payload) {
        const url = new URL(infra.mqtt);
        const message =
          typeof payload === 'string' ? payload : JSON.stringify(payload);
        await run('mosquitto_pub', [
          '-h',
          url.hostname,
          '-p',
          url.port,
          '-q',
          '1',
          '-t',
          topic,
          '-m',
          message,
        ]);
      },
      async stop() {
        await portal.stop();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
