import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_CONFIG_FILE, loadBridgeConfig, resolveRoutes } from './config';

function file(yaml: string) {
  const f = path.join(
    mkdtempSync(path.join(tmpdir(), 'bridge-config-')),
    'config.yaml',
  );
  writeFileSync(f, yaml);
  return f;
}

describe('bridge config', () => {
  it('loads the shipped config.yaml with local defaults', () => {
    const config = loadBridgeConfig(DEFAULT_CONFIG_FILE, {});
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(resolveRoutes(config).map(r => `${r.filter}→${r.topic}`)).toEqual([
      'homelab/energy/#→homelab.energy',
      'homelab/heatpump/#→homelab.heatpump',
      'homelab/temperature/#→homelab.temperature',
    ]);
    expect(config.kafka.topics.heatpump).toMatchObject({
      retentionMs: 3_600_000,
      segmentMs: 300_000,
    });
  });

  it('loads config.example.yaml, bounds included', () => {
    const config = loadBridgeConfig(
      path.join(path.dirname(DEFAULT_CONFIG_FILE), 'config.example.yaml'),
      {},
    );
    expect(config.limits).toMatchObject({
      maxDeviceIdBytes: 128,
      maxFields: 256,
      maxFieldNameBytes: 128,
      maxDepth: 8,
    });
    expect(
      new RegExp(config.limits.deviceIdPattern, 'u').test('zähler:1'),
    ).toBe(true);
  });

  it("honours the seed's environment variables", () => {
    const config = loadBridgeConfig(DEFAULT_CONFIG_FILE, {
      REDPANDA_BROKERS: 'redpanda.redpanda.svc.cluster.local:9092',
      REDPANDA_TOPIC_ENERGY: 'energy-realtime',
      REDPANDA_TOPIC_HEATPUMP: 'heatpump-realtime',
      MQTT_URL: 'mqtt://mosquitto.mosquitto.svc:1883',
    });
    expect(config.kafka.brokers).toEqual([
      'redpanda.redpanda.svc.cluster.local:9092',
    ]);
    expect(config.mqtt.url).toBe('mqtt://mosquitto.mosquitto.svc:1883');
    expect(resolveRoutes(config).map(r => r.topic)).toEqual([
      'energy-realtime',
      'heatpump-realtime',
      'homelab.temperature',
    ]);
  });

  it('lets KAFKA_BROKERS win over REDPANDA_BROKERS', () => {
    const config = loadBridgeConfig(DEFAULT_CONFIG_FILE, {
      REDPANDA_BROKERS: 'a:1',
      KAFKA_BROKERS: 'b:2,c:3',
    });
    expect(config.kafka.brokers).toEqual(['b:2', 'c:3']);
  });

  it('reads CONFIG_FILE, then the older BRIDGE_CONFIG; OPS_PORT sets the ops port', () => {
    const a = file('bridgeId: from-config-file\n');
    const b = file('bridgeId: from-bridge-config\n');
    expect(
      loadBridgeConfig(undefined, { CONFIG_FILE: a, BRIDGE_CONFIG: b })
        .bridgeId,
    ).toBe('from-config-file');
    const config = loadBridgeConfig(undefined, {
      BRIDGE_CONFIG: b,
      OPS_PORT: '19464',
    });
    expect(config.bridgeId).toBe('from-bridge-config');
    expect(config.ops.port).toBe(19464);
  });

  it.each([
    [
      'kafka:\n  brokers: "nohostport"\n',
      /^config error: kafka\.brokers\.0: each broker must be host:port/,
    ],
    [
      'routes:\n  - { filter: "a/#/b", stream: energy }\n',
      /^config error: routes\.0\.filter: is not a valid MQTT topic filter/,
    ],
    [
      'routes:\n  - { filter: "a/#", stream: solar }\n',
      /^config error: routes\.0\.stream:/,
    ],
    ['mqtt:\n  receiveMaximum: 0\n', /^config error: mqtt\.receiveMaximum:/],
    [
      'kafka:\n  provisionTopics: maybe\n',
      /^config error: kafka\.provisionTopics:/,
    ],
    [
      "limits:\n  deviceIdPattern: '[a-z'\n",
      /^config error: limits\.deviceIdPattern: must be a valid regular expression/,
    ],
    [
      'limits:\n  maxDeviceIdBytes: 0\n',
      /^config error: limits\.maxDeviceIdBytes:/,
    ],
    ['limits:\n  maxDepth: 1\n', /^config error: limits\.maxDepth:/],
    [
      'kafka:\n  batch: { maxBytes: 100 }\n',
      /^config error: kafka\.batch\.maxBytes:/,
    ],
    [
      'kafka:\n  batch: { maxMesages: 10 }\n',
      /^config error: kafka\.batch: Unrecognized key: "maxMesages"/,
    ],
    ['bridgeID: b1\n', /^config error: \(root\): Unrecognized key: "bridgeID"/],
    [
      'mqtt:\n  url: ${NOT_SET_ANYWHERE}\n',
      /^config error: mqtt\.url: environment variable NOT_SET_ANYWHERE is not set/,
    ],
  ])('names the bad key: %s', (yaml, message) => {
    expect(() => loadBridgeConfig(file(yaml), {})).toThrow(message);
  });
});
