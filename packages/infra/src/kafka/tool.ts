import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runOrThrow } from '../process/run';
import { log4jProperties } from './config';
import { ensureKafkaJars } from './jars';
import { javaBinary, toolJvmArgs } from './java';

/*
 * Main classes of Kafka 4's command-line tools (checked against the jars:
 * 4.x moved them from kafka.admin to org.apache.kafka.tools).
 */
export const CONSUMER_GROUP_COMMAND =
  'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand';
export const TOPIC_COMMAND = 'org.apache.kafka.tools.TopicCommand';
export const GET_OFFSET_SHELL = 'org.apache.kafka.tools.GetOffsetShell';
export const METADATA_QUORUM_COMMAND =
  'org.apache.kafka.tools.MetadataQuorumCommand';
export const STORAGE_TOOL = 'kafka.tools.StorageTool';
export const KAFKA_SERVER = 'kafka.Kafka';

/** Writes the tools' logging config next to the jars once; it is identical for every run. */
export function toolLog4jFile(jarsDir: string): string {
  const file = path.join(jarsDir, 'tools-log4j2.properties');
  const wanted = log4jProperties('tool');
  if (!existsSync(file) || readFileSync(file, 'utf8') !== wanted)
    writeFileSync(file, wanted);
  return file;
}

export async function classPath(): Promise<{
  java: string;
  classPath: string;
  jarsDir: string;
}> {
  const [java, { dir }] = await Promise.all([javaBinary(), ensureKafkaJars()]);
  return { java, classPath: path.join(dir, '*'), jarsDir: dir };
}

/**
 * Runs one of Kafka's own CLI tools from the cached jars and returns its
 * stdout; a non-zero exit rejects with the tool's output. Tests use these as
 * a referee that shares no code with kafkajs.
 */
export async function kafkaTool(
  mainClass: string,
  args: string[],
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const { java, classPath: cp, jarsDir } = await classPath();
  return runOrThrow(
    `Kafka tool ${mainClass}`,
    java,
    [...toolJvmArgs(toolLog4jFile(jarsDir)), '-cp', cp, mainClass, ...args],
    {
      timeoutMs: options.timeoutMs ?? 120_000,
    },
  );
}
