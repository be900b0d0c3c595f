import { eventually } from '@homelab/test-kit';
import { testInfra } from '@homelab/infra';
import { createLogger } from '@homelab/service-kit';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { simulatorConfigSchema } from './config';
import { startSimulator } from './simulator';

jest.setTimeout(60_000);

describe('device simulator against Mosquitto', () => {
  it('publishes every payload shape at QoS 1 and reports it on /metrics', async () => {
    const { mqttUrl } = testInfra();
    // A private prefix keeps bridges subscribed to homelab/# on the shared broker out of it.
    const prefix = `test-${randomUUID().slice(0, 8)}/homelab`;
    const received = new Map<string, { payload: any; qos: number }[]>();
    const subscriber = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
    subscriber.on('message', (topic, payload, packet) => {
      const list = received.get(topic) ?? [];
      list.push({ payload: JSON.parse(payload.toString()), qos: packet.qos });
      received.set(topic, list);
    });
    await subscriber.subscribeAsync(`${prefix}/#`, { qos: 1 });

    const config = simulatorConfigSchema.parse({
      mqtt: { url: mqttUrl, topicPrefix: prefix },
      rateMultiplier: 100,
      seed: 42,
      ops: { host: '127.0.0.1', port: 0 },
    });
    const simulator = await startSimulator(
      config,
      createLogger('device-simulator-test', 'warn'),
    );
    try {
      const topics = simulator.devices.map(d => d.topic);
      expect(topics).toHaveLength(8);
      await eventually(
        'a message on every device topic',
        () => (topics.every(t => received.has(t)) ? true : undefined),
        { timeoutMs: 20_000, intervalMs: 50 },
      );

      const first = (device: string, stream: string) =>
        received.get(`${prefix}/${stream}/${device}`)![0];
      expect(first('meter1', 'energy')).toEqual({
        qos: 1,
        payload: {
          timestamp: expect.stringMatching(
            /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
          ),
          total_energy_kwh: expect.any(Number),
          power_kw: expect.any(Number),
          voltage: expect.any(Number),
          current: expect.any(Number),
        },
      });
      expect(first('meter2', 'energy').payload).toEqual({
        ts: expect.any(String),
        fields: {
          active_power_total: expect.any(Number),
          active_power_l1: expect.any(Number),
          active_power_l2: expect.any(Number),
          active_power_l3: expect.any(Number),
          voltage_l1: expect.any(Number),
          voltage_l2: expect.any(Number),
          voltage_l3: expect.any(Number),
        },
      });
      const heat = first('heatpump1', 'heatpump').payload;
      expect(heat).toEqual({
        device_id: 'heatpump1',
        timestamp: expect.any(Number),
        d0: expect.any(Number),
        d5: expect.any(Number),
        d6: expect.any(Number),
      });
      expect(Math.abs(heat.timestamp - Date.now() / 1000)).toBeLessThan(60);
      for (let n = 1; n <= 5; n++) {
        expect(first(`sensor${n}`, 'temperature').payload).toEqual({
          timestamp: expect.any(String),
          temperature_c: expect.any(Number),
          humidity_pct: expect.any(Number),
        });
      }

      // At 100× the meters send every 10 ms: the counter keeps growing across messages.
      const meter1 = await eventually(
        '20 messages from meter1',
        () => {
          const list = received.get(`${prefix}/energy/meter1`)!;
          return list.length >= 20
            ? list.map(m => m.payload.total_energy_kwh as number)
            : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 50 },
      );
      expect(meter1.every((kwh, i) => i === 0 || kwh >= meter1[i - 1])).toBe(
        true,
      );

      const ops = `http://127.0.0.1:${simulator.opsPort}`;
      expect((await fetch(`${ops}/health`)).status).toBe(200);
      const metrics = await (await fetch(`${ops}/metrics`)).text();
      expect(metrics).toMatch(
        /^simulator_messages_published_total\{stream="energy"\} [1-9]\d*$/m,
      );
      expect(metrics).toMatch(
        /^simulator_expected_messages_per_second\{stream="energy"\} 200$/m,
      );
      expect(metrics).toMatch(/^simulator_rate_multiplier 100$/m);
    } finally {
      await simulator.stop('test');
      await subscriber.endAsync();
    }
    // A graceful stop waits for the PUBACKs: nothing published is left unacknowledged.
  });
});
