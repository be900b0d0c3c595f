import { ConfigError, createLogger, runService } from '@homelab/service-kit';
import { parseArgs } from 'node:util';
import { loadSimulatorConfig } from './config';
import { startSimulator } from './simulator';

const logger = createLogger('device-simulator');

runService({
  name: 'device-simulator',
  logger,
  start: async () => {
    let values: { rate?: string; seed?: string; config?: string };
    try {
      ({ values } = parseArgs({
        options: {
          rate: { type: 'string', short: 'r' },
          seed: { type: 'string' },
          config: { type: 'string', short: 'c' },
        },
      }));
    } catch (e) {
      throw new ConfigError(
        `${
          (e as Error).message
        }; usage: device-simulator [--rate <multiplier>] [--seed <n>] [--config <file>]`,
      );
    }
    return startSimulator(
      loadSimulatorConfig({
        rate: values.rate,
        seed: values.seed,
        configFile: values.config,
      }),
      logger,
    );
  },
});
