import { connectKafka, KafkaSecurity } from './kafkaConnection';
import { KafkajsLogOptions, kafkajsLogCreator } from './kafkajsLog';
import type { Logger } from './logger';

/** kafkajs' logLevel.WARN; service-kit has no kafkajs dependency (see kafkajsLog.ts). */
const KAFKAJS_WARN = 2;

/** The Kafka settings every service's config has under `kafka`. */
export interface KafkaClientSettings extends KafkaSecurity {
  clientId: string;
  brokers: string[];
}

/**
 * The options of a service's kafkajs client (`new Kafka(…)`): its id,
 * brokers and security from the config, and kafkajs' warnings and errors in
 * the service's JSON log. A service adds its own timeouts and retries.
 */
export function kafkaClientOptions(
  settings: KafkaClientSettings,
  logger: Logger,
  log: KafkajsLogOptions = {},
) {
  return {
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl,
    sasl: settings.sasl,
    logLevel: KAFKAJS_WARN,
    logCreator: kafkajsLogCreator(logger, log),
  };
}

/** The part of a kafkajs admin client the start-up check uses. */
export interface KafkaAdminClient {
  connect(): Promise<void>;
  listTopics(): Promise<string[]>;
  disconnect(): Promise<void>;
}

/**
 * Connects the admin client and lists the topics, the service's first word
 * with Kafka. A wrong password, CA or TLS setting stops the start with the key
 * to fix (a ConnectionSettingError), after kafkajs' own bounded retries. A
 * broker may accept the connection and drop only the first real request, so
 * that request is part of the check. On failure the admin is disconnected.
 */
export function connectKafkaAdmin(
  admin: KafkaAdminClient,
  security: KafkaSecurity,
  prefix = 'kafka',
): Promise<string[]> {
  return connectKafka(
    async () => {
      await admin.connect();
      return admin.listTopics();
    },
    security,
    { prefix },
    () => admin.disconnect(),
  );
}
