import { createLogger, runService } from '@homelab/service-kit';
import { startBridge } from './bridge';
import { loadBridgeConfig } from './config';
import { SERVICE_NAME } from './kafkaMessage';

const logger = createLogger(SERVICE_NAME);

runService({
  name: SERVICE_NAME,
  logger,
  start: async () => startBridge(loadBridgeConfig(), logger),
});
