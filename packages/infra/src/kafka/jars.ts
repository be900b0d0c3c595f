import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { cacheRoot } from '../cache';
import { sha1File } from '../download/checksum';
import { fetchVerified, inParallel } from '../download/fetchVerified';
import {
  artifactUrl,
  jarName,
  KafkaLock,
  lockDigest,
  readLock,
} from './lockFile';

export const MAVEN_REPOSITORY =
  process.env.HOMELAB_MAVEN_REPO ?? 'https://repo1.maven.org/maven2';
const MARKER = '.verified';

export function kafkaJarsDir(lock: KafkaLock = readLock()): string {
  return path.join(cacheRoot(), 'kafka', lock.kafkaVersion);
}

export interface FetchReport {
  dir: string;
  /** Jars downloaded by this call; 0 when the cache was already complete. */
  downloaded: number;
}

async function withRetries<T>(
  attempts: number,
  task: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (attempt >= attempts || /Checksum mismatch/.test(String(error)))
        throw error;
      await new Promise(resolve => setTimeout(resolve, 1000 * attempt));
    }
  }
}

/**
 * Makes sure the cache holds every jar of the lock, verified. A marker written
 * after verification makes the next call free: no network, no hashing.
 */
export async function ensureKafkaJars(
  options: { log?: (line: string) => void } = {},
): Promise<FetchReport> {
  const lock = readLock();
  const dir = kafkaJarsDir(lock);
  const digest = lockDigest(lock);
  const marker = path.join(dir, MARKER);
  const complete =
    existsSync(marker) &&
    readFileSync(marker, 'utf8').trim() === digest &&
    lock.artifacts.every(a => existsSync(path.join(dir, jarName(a))));
  if (complete) return { dir, downloaded: 0 };

  mkdirSync(dir, { recursive: true });
  let downloaded = 0;
  options.log?.(
    `Fetching Apache Kafka ${lock.kafkaVersion} (${lock.artifacts.length} jars) from ${MAVEN_REPOSITORY} into ${dir}`,
  );
  await inParallel(lock.artifacts, 6, async artifact => {
    const dest = path.join(dir, jarName(artifact));
    // A jar left by an interrupted earlier run is kept when it is intact.
    if (existsSync(dest) && (await sha1File(dest)) === artifact.sha1) return;
    await withRetries(3, () =>
      fetchVerified(
        artifactUrl(MAVEN_REPOSITORY, artifact),
        dest,
        artifact.sha1,
      ),
    );
    downloaded++;
  });
  // The class path is `<dir>/*`: a jar from an older lock of this version must not linger.
  const wanted = new Set(lock.artifacts.map(jarName));
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.jar') && !wanted.has(file))
      rmSync(path.join(dir, file));
  }
  writeFileSync(marker, `${digest}\n`);
  options.log?.(
    `Kafka jars ready: ${downloaded} downloaded, ${
      lock.artifacts.length - downloaded
    } already cached`,
  );
  return { dir, downloaded };
}
