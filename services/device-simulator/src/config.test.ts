import { ConfigError } from '@homelab/service-kit';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadSimulatorConfig } from './config';
import { HOMELAB_FLEET } from './fleet';

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
  it("reads the shipped config: the homelab's fleet at rate 1 on ops port 9104", () => {
    const config = loadSimulatorConfig({ configFile: DEFAULT_CONFIG_FILE }, {});
    expect(config.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(config.mqtt.qos).toBe(1);
    expect(config.rateMultiplier).toBe(1);
    expect(config.ops.port).toBe(9104);
    expect(config.devices).toEqual(
      HOMELAB_FLEET.map(d => ({
        id: d.id,
        kind: d.kind,
        intervalMs: d.intervalMs,
      })),
    );
  });

  it('lets env override the file and --rate override env', () => {
    const env = {
      MQTT_URL: 'mqtt://broker:1884',
      SIMULATOR_RATE: '5',
      OPS_PORT: '9200',
    };
    const fromEnv = loadSimulatorConfig(
      { configFile: DEFAULT_CONFIG_FILE },
      env,
    );
    expect(fromEnv).toMatchObject({
      mqtt: { url: 'mqtt://broker:1884' },
      rateMultiplier: 5,
      ops: { port: 9200 },
    });
    expect(
      loadSimulatorConfig({ configFile: DEFAULT_CONFIG_FILE, rate: '10' }, env)
        .rateMultiplier,
    ).toBe(10);
  });

  it('keeps the older names: SIMULATOR_OPS_HOST, SIMULATOR_OPS_PORT, SIMULATOR_CONFIG and snake_case keys', () => {
    const old = file(
      'mqtt:\n  client_id: sim\n  topic_prefix: lab\nrate_multiplier: 3\ndevices:\n  - { id: m1, kind: heatpump, interval_ms: 500 }\nlimits:\n  max_pending: 7\n',
    );
    const config = loadSimulatorConfig(
      {},
      {
        SIMULATOR_CONFIG: old,
        SIMULATOR_OPS_HOST: '127.0.0.2',
        SIMULATOR_OPS_PORT: '9201',
      },
    );
    expect(config).toMatchObject({
      mqtt: { clientId: 'sim', topicPrefix: 'lab' },
      rateMultiplier: 3,
      devices: [{ id: 'm1', kind: 'heatpump', intervalMs: 500 }],
      limits: { maxPending: 7 },
      ops: { host: '127.0.0.2', port: 9201 },
    });
    // The one name wins where both are set.
    expect(
      loadSimulatorConfig(
        {},
        {
          SIMULATOR_CONFIG: old,
          SIMULATOR_OPS_HOST: '127.0.0.2',
          OPS_HOST: '127.0.0.3',
          SIMULATOR_OPS_PORT: '9201',
          OPS_PORT: '9202',
        },
      ).ops,
    ).toEqual({ host: '127.0.0.3', port: 9202 });
  });

  it('refuses an unknown key, naming it, and names an alias as written', () => {
    const typo = file('mqtt:\n  topicPrefx: lab\n');
    expect(errorOf(() => loadSimulatorConfig({ configFile: typo }, {}))).toBe(
      `config error: mqtt: Unrecognized key: "topicPrefx" (in ${typo})`,
    );
    const old = file('rate_multiplier: -2\n');
    expect(errorOf(() => loadSimulatorConfig({ configFile: old }, {}))).toMatch(
      /^config error: rate_multiplier: /,
    );
  });

  it('names the bad key in one line', () => {
    expect(
      errorOf(() =>
        loadSimulatorConfig(
          { configFile: DEFAULT_CONFIG_FILE, rate: 'fast' },
          {},
        ),
      ),
    ).toMatch(/^config error: rateMultiplier: .*\(in .*config\.yaml\)$/);
    const bad = file(
      'devices:\n  - { id: m1, kind: toaster, intervalMs: 1000 }\n',
    );
    expect(errorOf(() => loadSimulatorConfig({ configFile: bad }, {}))).toMatch(
      /^config error: devices\.0\.kind: /,
    );
    const twice = file(
      'devices:\n  - { id: m1, kind: heatpump, intervalMs: 1 }\n  - { id: m1, kind: heatpump, intervalMs: 1 }\n',
    );
    expect(
      errorOf(() => loadSimulatorConfig({ configFile: twice }, {})),
    ).toMatch(/device ids must be unique/);
  });
});
