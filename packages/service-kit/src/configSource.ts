import { z } from 'zod';
import { defaultConfigFile } from './config';
import { port } from './schemas';
import type { ServiceConfigSource } from './service';

/**
 * `ops: { host, port }`: where the service serves `/metrics` and `/health`;
 * the whole block may be left out. Each service has its own default port.
 */
export function opsSchema(defaultPort: number) {
  return z
    .object({
      host: z.string().default('0.0.0.0'),
      port: port.default(defaultPort),
    })
    .strict()
    .prefault({});
}

/**
 * The broker list from the environment, as an `envOverrides` part:
 * REDPANDA_BROKERS is what the earlier deployments set, KAFKA_BROKERS what
 * the local infra runner sets. Later entries win, so KAFKA_BROKERS does when
 * both are set.
 */
export const KAFKA_BROKERS_ENV: Readonly<Record<string, string>> = {
  REDPANDA_BROKERS: 'kafka.brokers',
  KAFKA_BROKERS: 'kafka.brokers',
};

/**
 * A service's config source with the one default-file rule:
 * `config/config.yaml` beside the code's folder (`codeDir` is the service's
 * `__dirname`: `src/` from source, `dist/` in the image).
 */
export function serviceConfigSource(
  codeDir: string,
  source: Omit<ServiceConfigSource, 'defaultFile'> = {},
): ServiceConfigSource {
  return { ...source, defaultFile: defaultConfigFile(codeDir) };
}
