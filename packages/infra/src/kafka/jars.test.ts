import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureKafkaJars, kafkaJarsDir } from './jars';
import { artifactUrl, jarName, lockDigest, readLock } from './lockFile';

describe('Kafka jar lock and cache', () => {
  const lock = readLock();

  it('pins the broker, the tools and every jar by SHA-1', () => {
    const names = lock.artifacts.map(a => a.artifactId);
    expect(names).toEqual(
      expect.arrayContaining([
        'kafka_2.13',
        'kafka-tools',
        'kafka-clients',
        'log4j-slf4j-impl',
      ]),
    );
    expect(lock.artifacts.every(a => /^[0-9a-f]{40}$/.test(a.sha1))).toBe(true);
    expect(
      artifactUrl(
        'https://repo/maven2/',
        lock.artifacts.find(a => a.artifactId === 'kafka_2.13')!,
      ),
    ).toBe(
      `https://repo/maven2/org/apache/kafka/kafka_2.13/${lock.kafkaVersion}/kafka_2.13-${lock.kafkaVersion}.jar`,
    );
    expect(lockDigest(lock)).toBe(
      lockDigest({ ...lock, artifacts: [...lock.artifacts].reverse() }),
    );
  });

  it('downloads nothing once the cache is complete', async () => {
    // The shared Kafka already ran from this cache, so it must be complete.
    const report = await ensureKafkaJars();
    expect(report).toEqual({ dir: kafkaJarsDir(lock), downloaded: 0 });
    expect(
      lock.artifacts.every(a => existsSync(path.join(report.dir, jarName(a)))),
    ).toBe(true);
  });
});
