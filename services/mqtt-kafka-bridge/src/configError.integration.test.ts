import { spawnBridge, writeConfig } from './__testUtils__/harness';

/** A bad config stops the start with one line naming the key. */
describe('bridge with a bad config', () => {
  it.each([
    [
      'a broker that is not host:port',
      'kafka:\n  brokers: "kafka.local"\n',
      {},
      /^mqtt-kafka-bridge: config error: kafka\.brokers\.0: each broker must be host:port/,
    ],
    [
      'a route to an unknown stream',
      'routes:\n  - { filter: "homelab/solar/#", stream: solar }\n',
      {},
      /config error: routes\.0\.stream: /,
    ],
    [
      'a bad port from the environment',
      'ops:\n  port: ${OPS_PORT}\n',
      { OPS_PORT: 'ninety' },
      /config error: ops\.port: /,
    ],
    [
      "the seed's REDPANDA_BROKERS gone wrong",
      '{}\n',
      { REDPANDA_BROKERS: 'redpanda:9092:1' },
      /config error: kafka\.brokers\.0: /,
    ],
    [
      'a missing environment variable',
      'mqtt:\n  url: ${BRIDGE_TEST_UNSET_VAR}\n',
      {},
      /config error: mqtt\.url: environment variable BRIDGE_TEST_UNSET_VAR is not set/,
    ],
  ])(
    '%s',
    async (_name, yaml, env, message) => {
      const bridge = spawnBridge(writeConfig(yaml), env);
      const code = await bridge.exited;
      expect(code).not.toBe(0);
      const lines = bridge.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    },
    60_000,
  );
});
