import { planInfra, startInfra } from './infra';
import { testInfra } from './testInfra';

describe('planInfra', () => {
  it('starts everything when nothing is provided', () => {
    expect(planInfra({})).toEqual({
      provided: {},
      toStart: ['kafka', 'mosquitto', 'postgres', 'timescale'],
    });
  });

  it('uses the servers the environment points at, and starts only the rest', () => {
    const plan = planInfra({
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      DATABASE_URL: 'postgres://u:p@db/x',
      MQTT_URL: '  ',
    });
    expect(plan.provided).toEqual({
      kafka: 'k1:9092,k2:9092',
      postgres: 'postgres://u:p@db/x',
    });
    expect(plan.toStart).toEqual(['mosquitto', 'timescale']);
  });
});

describe('startInfra', () => {
  it('starts nothing when every variable is set, and passes them through', async () => {
    const env = {
      KAFKA_BROKERS: 'kafka:9092',
      MQTT_URL: 'mqtt://mqtt:1883',
      DATABASE_URL: 'postgres://u:p@db/app',
      TIMESCALE_URL: 'postgres://u:p@tsdb/app',
    };
    const infra = await startInfra({ env });
    expect(infra.env).toEqual(env);
    expect(infra.startupSeconds).toEqual({});
    await infra.stop();
  });
});

describe('testInfra', () => {
  it('explains how to run integration tests when the variables are missing', () => {
    expect(() => testInfra({ KAFKA_BROKERS: 'a:1' })).toThrow(
      /MQTT_URL, DATABASE_URL, TIMESCALE_URL not set.*bin\/test or `yarn infra:exec`/s,
    );
  });

  it('splits the broker list', () => {
    const infra = testInfra({
      KAFKA_BROKERS: 'a:1, b:2',
      MQTT_URL: 'm',
      DATABASE_URL: 'd',
      TIMESCALE_URL: 't',
    });
    expect(infra.kafkaBrokers).toEqual(['a:1', 'b:2']);
  });
});
