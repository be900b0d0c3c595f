import { createLogger, runService } from '@homelab/service-kit';
import { readConfig } from './config';
import { startEnergyWs } from './server';

const logger = createLogger('energy-ws');

runService({
  name: 'energy-ws',
  logger,
  start: async () => startEnergyWs(readConfig(), logger),
});
