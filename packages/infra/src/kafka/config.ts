import { HOST } from '../ports';

export interface BrokerAddress {
  /** 0-based index in the cluster; the KRaft node id is index + 1. */
  index: number;
  port: number;
  controllerPort: number;
  /** Port of the extra SASL_SSL listener, when the cluster has one. */
  securePort?: number;
}

/** A SASL_SSL listener beside PLAINTEXT (see kafka/secure.ts). */
export interface SecureListenerProperties {
  /** PEM file holding the broker's unencrypted private key and certificate chain. */
  keystoreFile: string;
  /** Users of the PLAIN mechanism; SCRAM users live in the cluster metadata instead. */
  plainUsers: Array<{ username: string; password: string }>;
}

/**
 * server.properties for one combined broker+controller node of an N-node
 * cluster. Internal topics are replicated to every node, so stopping one node
 * of a 3-node cluster loses nothing, while min ISR 1 lets the rest keep going.
 */
export function serverProperties(
  node: BrokerAddress,
  cluster: BrokerAddress[],
  logDir: string,
  options: {
    groupInitialRebalanceDelayMs?: number;
    secure?: SecureListenerProperties;
  } = {},
): string {
  const n = cluster.length;
  const voters = cluster
    .map(b => `${b.index + 1}@${HOST}:${b.controllerPort}`)
    .join(',');
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.index + 1,
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://${HOST}:${node.port},CONTROLLER://${HOST}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map':
      'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': logDir,
    'num.partitions': 1,
    'default.replication.factor': n,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': n,
    // The default of 50 partitions makes the first consumer group wait for 50 leaders.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': n,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': n,
    'share.coordinator.state.topic.min.isr': 1,
    // Tests join groups constantly; the 3 s default only slows them down.
    // A test of rebalancing passes Kafka's default (3000) to run as production does.
    'group.initial.rebalance.delay.ms':
      options.groupInitialRebalanceDelayMs ?? 0,
    // Topics are provisioned explicitly (as `rpk topic create` does in
    // production); a typo in a topic name must fail, not create a new topic.
    'auto.create.topics.enable': false,
    // Retention tests should not wait 5 minutes for the cleaner to look.
    'log.retention.check.interval.ms': 5000,
    'log.segment.delete.delay.ms': 1000,
    ...(options.secure && node.securePort !== undefined
      ? secureListenerSettings(node, node.securePort, options.secure)
      : {}),
  };
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/**
 * An extra SASL_SSL listener for tests of secured clients. PLAINTEXT stays the
 * inter-broker listener and the one health checks and tools use, so only the
 * client under test meets TLS and SASL.
 */
function secureListenerSettings(
  node: BrokerAddress,
  securePort: number,
  secure: SecureListenerProperties,
): Record<string, string> {
  const plainUsers = secure.plainUsers
    .map(u => ` user_${u.username}="${u.password}"`)
    .join('');
  return {
    listeners: `PLAINTEXT://${HOST}:${node.port},SASL_SSL://${HOST}:${securePort},CONTROLLER://${HOST}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${node.port},SASL_SSL://${HOST}:${securePort}`,
    'listener.security.protocol.map':
      'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
    'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
    'listener.name.sasl_ssl.ssl.keystore.location': secure.keystoreFile,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config':
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config':
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required${plainUsers};`,
  };
}

/** Log4j 2 configuration: the broker logs INFO to stdout (our log file); tools log WARN to stderr so stdout stays parseable. */
export function log4jProperties(target: 'broker' | 'tool'): string {
  const broker = target === 'broker';
  return [
    'status = warn',
    'appender.out.type = Console',
    'appender.out.name = OUT',
    `appender.out.target = ${broker ? 'SYSTEM_OUT' : 'SYSTEM_ERR'}`,
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = [%d] %p %m (%c)%n',
    `rootLogger.level = ${broker ? 'INFO' : 'WARN'}`,
    'rootLogger.appenderRef.out.ref = OUT',
    '',
  ].join('\n');
}
