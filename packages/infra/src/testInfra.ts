import { COMPONENTS, ENV_VARS } from './infra';

export interface TestInfra {
  kafkaBrokers: string[];
  mqttUrl: string;
  databaseUrl: string;
  timescaleUrl: string;
}

/**
 * The shared servers integration tests run against. They are started once per
 * test run by `homelab-infra exec`, which passes their addresses in the
 * environment; a test started any other way gets told how to run it.
 */
export function testInfra(env: NodeJS.ProcessEnv = process.env): TestInfra {
  const missing = COMPONENTS.map(c => ENV_VARS[c]).filter(
    name => !env[name]?.trim(),
  );
  if (missing.length) {
    throw new Error(
      `${missing.join(
        ', ',
      )} not set: integration tests need the shared local infrastructure. ` +
        'Run tests through bin/test or `yarn infra:exec` (i.e. `node packages/infra/bin/homelab-infra.mjs exec -- <test command>`), ' +
        'or point these variables at your own servers.',
    );
  }
  return {
    kafkaBrokers: env
      .KAFKA_BROKERS!.split(',')
      .map(b => b.trim())
      .filter(Boolean),
    mqttUrl: env.MQTT_URL!,
    databaseUrl: env.DATABASE_URL!,
    timescaleUrl: env.TIMESCALE_URL!,
  };
}
