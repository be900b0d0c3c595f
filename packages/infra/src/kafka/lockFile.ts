import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_DIR } from '../packageDir';

/** One jar of Kafka's runtime class path, pinned by its SHA-1. */
export interface LockedArtifact {
  groupId: string;
  artifactId: string;
  version: string;
  sha1: string;
}

/**
 * The resolved runtime dependencies of Kafka, committed so that fetching needs
 * neither Maven nor a resolver: only plain downloads checked against pins.
 * Regenerate with `homelab-infra resolve-kafka <version>`.
 */
export interface KafkaLock {
  kafkaVersion: string;
  /** The Maven artifacts that were resolved (with their transitive runtime deps). */
  roots: string[];
  artifacts: LockedArtifact[];
}

export const LOCK_FILE = path.join(
  PACKAGE_DIR,
  'src',
  'kafka',
  'jars.lock.json',
);

export function readLock(file = LOCK_FILE): KafkaLock {
  return JSON.parse(readFileSync(file, 'utf8'));
}

export function jarName(a: LockedArtifact): string {
  return `${a.artifactId}-${a.version}.jar`;
}

export function artifactUrl(repository: string, a: LockedArtifact): string {
  return `${repository.replace(/\/$/, '')}/${a.groupId.replace(/\./g, '/')}/${
    a.artifactId
  }/${a.version}/${jarName(a)}`;
}

/** Identifies the exact jar set, so a cache marker from another lock is not trusted. */
export function lockDigest(lock: KafkaLock): string {
  const lines = lock.artifacts
    .map(a => `${a.groupId}:${a.artifactId}:${a.version}:${a.sha1}`)
    .sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
