import {
  explainMqttFailure,
  firstMqttConnection,
  Logger,
  mqttTarget,
  RunningService,
  startOpsServer,
} from '@homelab/service-kit';
import mqtt from 'mqtt';
import { SimulatorConfig } from './config';
import { SamplePublisher } from './SamplePublisher';
import { Device, buildFleet, expectedRates } from './fleet';
import { createMetrics } from './metrics';
import { Schedule } from './schedule';

export interface Simulator extends RunningService {
  opsPort: number;
  devices: Device[];
  seed: number;
}

/** Connects to Mosquitto, serves /metrics and /health, and starts every device's schedule. */
export async function startSimulator(
  config: SimulatorConfig,
  logger: Logger,
): Promise<Simulator> {
  const seed = config.seed ?? Date.now() % 2 ** 31;
  const devices = buildFleet(
    config.devices.map(d => ({
      id: d.id,
      kind: d.kind,
      intervalMs: d.intervalMs,
    })),
    {
      topicPrefix: config.mqtt.topicPrefix,
      rateMultiplier: config.rateMultiplier,
      seed,
    },
  );

  const client = mqtt.connect(config.mqtt.url, {
    clientId: `${config.mqtt.clientId}-${process.pid}`,
    ...config.mqtt.security,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
  });
  const target = mqttTarget(config.mqtt.url, config.mqtt.security);
  const settingNames = { prefix: 'mqtt' } as const;
  // Wrong credentials or TLS settings stop the start naming the key; an unreachable broker is waited for.
  const firstConnection = firstMqttConnection(
    client,
    target,
    settingNames,
  ).catch(async error => {
    await client.endAsync(true);
    throw error;
  });
  // The pending gauge is read lazily, so it may point at the publisher built next.
  // eslint-disable-next-line prefer-const
  let publisher: SamplePublisher | undefined;
  const metrics = createMetrics(() => publisher?.pending ?? 0);
  publisher = new SamplePublisher(
    client,
    metrics,
    config.mqtt.qos,
    config.limits.maxPending,
  );

  metrics.rateMultiplier.set(config.rateMultiplier);
  for (const [stream, rate] of Object.entries(expectedRates(devices)))
    metrics.expectedRate.set({ stream }, rate);

  client.on('connect', () => {
    metrics.connected.set(1);
    logger.info({ broker: new URL(config.mqtt.url).host }, 'connected to MQTT');
  });
  client.on('close', () => metrics.connected.set(0));
  client.on('error', err => {
    const setting = explainMqttFailure(err, target, settingNames);
    if (setting) logger.error({ setting }, 'MQTT connection refused');
    else logger.warn({ err: err.message }, 'MQTT error');
  });
  await firstConnection;

  const schedule = new Schedule(
    devices,
    (device, ms) =>
      publisher!.send(device.stream, device.topic, device.sample(ms)),
    (device, count) => {
      metrics.dropped.inc(
        { stream: device.stream, reason: 'behind-schedule' },
        count,
      );
      logger.warn(
        { device: device.id, skipped: count },
        'fell behind schedule; skipped samples',
      );
    },
  );

  const ops = await startOpsServer({
    host: config.ops.host,
    port: config.ops.port,
    registry: metrics.registry,
    health: () => ({
      live: true,
      ready: client.connected,
      details: {
        mqtt: client.connected ? 'connected' : 'disconnected',
        pending: publisher!.pending,
      },
    }),
  });

  // Samples taken while the broker is away are queued by mqtt.js and sent on connect.
  schedule.start();
  logger.info(
    {
      devices: devices.length,
      rateMultiplier: config.rateMultiplier,
      seed,
      opsPort: ops.port,
    },
    'simulating devices',
  );

  return {
    opsPort: ops.port,
    devices,
    seed,
    async stop() {
      schedule.stop();
      const drained = client.connected
        ? await publisher!.drain(5000)
        : publisher!.pending === 0;
      if (!drained)
        logger.warn(
          { pending: publisher!.pending },
          'stopping with messages not acknowledged',
        );
      await client.endAsync(!drained);
      await ops.close();
    },
  };
}
