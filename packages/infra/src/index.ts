/**
 * Local infrastructure for development and tests: real Kafka (KRaft),
 * Mosquitto, PostgreSQL and TimescaleDB (PGlite) on loopback.
 *
 * @packageDocumentation
 */
export { startKafka } from './kafka/cluster';
export type { KafkaCluster, StartKafkaOptions } from './kafka/cluster';
export {
  kafkaTool,
  CONSUMER_GROUP_COMMAND,
  TOPIC_COMMAND,
  GET_OFFSET_SHELL,
  METADATA_QUORUM_COMMAND,
} from './kafka/tool';
export { ensureKafkaJars, kafkaJarsDir } from './kafka/jars';
export { cacheRoot } from './cache';
export type { FetchReport } from './kafka/jars';
export { parseConsumerGroupDescribe } from './kafka/consumerGroupOutput';
export type { ConsumerGroupRow } from './kafka/consumerGroupOutput';
export type { SecureKafkaOptions, KafkaUserMechanism } from './kafka/secure';
export { createCertificateAuthority } from './tls/certificateAuthority';
export type {
  CertificateAuthority,
  IssuedCertificate,
} from './tls/certificateAuthority';
export type { MosquittoTlsOptions } from './mosquitto/tls';
export { startSecuredBrokers } from './tls/securedBrokers';
export type { SecuredBrokers, SecuredUser } from './tls/securedBrokers';
export { startMosquitto } from './mosquitto/server';
export type {
  MosquittoServer,
  StartMosquittoOptions,
} from './mosquitto/server';
export { startPostgres } from './postgres/server';
export type { PostgresServer, StartPostgresOptions } from './postgres/server';
export { startTimescale } from './timescale/server';
export type {
  TimescaleServer,
  StartTimescaleOptions,
} from './timescale/server';
export { startInfra, planInfra, ENV_VARS } from './infra';
export type { Component, Infra, InfraPlan, StartInfraOptions } from './infra';
export { testInfra } from './testInfra';
export type { TestInfra } from './testInfra';
export {
  checkQuietMachine,
  reportLoadAtEnd,
  ALLOW_BUSY_ENV,
} from './bench/machine';
export type { MachineFacts } from './bench/machine';
