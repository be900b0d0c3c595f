import { ConfigError } from '@homelab/service-kit';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadSimulatorConfig } from './config';
import { SEED_002_FLEET } from './fleet';

function file(text: string) {
  const path = join(
    mkdtempSync(join(tmpdir(), 'device-simulator-')),
    'config.yaml',
  );
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSimulatorConfig', () => {
  it("reads the shipped config: seed 002's fleet at rate 1 on ops port 9104", () => {
    const config = loadSimulatorConfig({ configFile: DEFAULT_CONFIG_FILE }, {});
    expect(config.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(config.mqtt.qos).toBe(1);
    expect(config.rate_multiplier).toBe(1);
    expect(config.ops.port).toBe(9104);
    expect(config.devices).toEqual(
      SEED_002_FLEET.map(d => ({
        id: d.id,
        kind: d.kind,
        interval_ms: d.intervalMs,
      })),
    );
  });

  it('lets env override the file and --rate override env', () => {
    const env = {
      MQTT_URL: 'mqtt://broker:1884',
      SIMULATOR_RATE: '5',
      SIMULATOR_OPS_PORT: '9200',
    };
    const fromEnv = loadSimulatorConfig(
      { configFile: DEFAULT_CONFIG_FILE },
      env,
    );
    expect(fromEnv).toMatchObject({
      mqtt: { url: 'mqtt://broker:1884' },
      rate_multiplier: 5,
      ops: { port: 9200 },
    });
    expect(
      loadSimulatorConfig({ configFile: DEFAULT_CONFIG_FILE, rate: '10' }, env)
        .rate_multiplier,
    ).toBe(10);
  });

  it('names the bad key in one line', () => {
    expect(
      errorOf(() =>
        loadSimulatorConfig(
          { configFile: DEFAULT_CONFIG_FILE, rate: 'fast' },
          {},
        ),
      ),
    ).toMatch(/^config error: rate_multiplier: .*\(in .*config\.yaml\)$/);
    const bad = file(
      'devices:\n  - { id: m1, kind: toaster, interval_ms: 1000 }\n',
    );
    expect(errorOf(() => loadSimulatorConfig({ configFile: bad }, {}))).toMatch(
      /^config error: devices\.0\.kind: /,
    );
    const twice = file(
      'devices:\n  - { id: m1, kind: heatpump, interval_ms: 1 }\n  - { id: m1, kind: heatpump, interval_ms: 1 }\n',
    );
    expect(
      errorOf(() => loadSimulatorConfig({ configFile: twice }, {})),
    ).toMatch(/device ids must be unique/);
  });
});
