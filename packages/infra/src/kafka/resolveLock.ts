import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha1File } from '../download/checksum';
import { requireBinary } from '../process/binaries';
import { runOrThrow } from '../process/run';
import { KafkaLock, LOCK_FILE, LockedArtifact } from './lockFile';

/**
 * The broker (kafka_2.13), the CLI tools (kafka-tools, minus Kafka Connect,
 * which only the connect-plugin-path tool needs and which brings ~40 jars of
 * Jetty and Jersey), and the slf4j-to-log4j2 binding the binary distribution
 * ships so that the broker's logs are not silently dropped.
 */
function pom(version: string): string {
  const dep = (g: string, a: string, v: string, extra = '') =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version>${extra}</dependency>`;
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>homelab</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    ${dep('org.apache.kafka', 'kafka_2.13', version)}
    ${dep(
      'org.apache.kafka',
      'kafka-tools',
      version,
      '<exclusions><exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion></exclusions>',
    )}
    ${dep('org.apache.logging.log4j', 'log4j-slf4j-impl', '${log4j.version}')}
  </dependencies>
  <properties><log4j.version>LOG4J</log4j.version></properties>
</project>`;
}

/**
 * Maintainer tool: resolves Kafka's runtime class path with Maven (which
 * verifies checksums itself with --strict-checksums) and rewrites the lock
 * file. Day-to-day fetching never needs Maven.
 */
export async function resolveKafkaLock(
  version: string,
  log: (line: string) => void = console.log,
): Promise<KafkaLock> {
  const mvn = requireBinary({
    binary: 'mvn',
    providedBy: 'maven (Debian package)',
  });
  const work = mkdtempSync(path.join(os.tmpdir(), 'homelab-kafka-resolve-'));
  try {
    const repo = path.join(work, 'm2');
    const common = [
      '-B',
      '-q',
      '--strict-checksums',
      `-Dmaven.repo.local=${repo}`,
    ];
    // log4j-core's version comes from Kafka's own dependency list, so the binding matches it.
    writeFileSync(
      path.join(work, 'pom.xml'),
      pom(version).replace('LOG4J', '2.0'),
    );
    await runOrThrow(
      'mvn dependency:list',
      mvn,
      [
        ...common,
        'dependency:list',
        '-DincludeScope=runtime',
        '-DoutputFile=probe.txt',
      ],
      { cwd: work },
    );
    const log4j = /org\.apache\.logging\.log4j:log4j-core:jar:([^:]+):/.exec(
      readFileSync(path.join(work, 'probe.txt'), 'utf8'),
    )?.[1];
    if (!log4j)
      throw new Error(
        `Kafka ${version} does not depend on log4j-core; update resolveLock.ts`,
      );
    writeFileSync(
      path.join(work, 'pom.xml'),
      pom(version).replace('LOG4J', log4j),
    );
    await runOrThrow(
      'mvn dependency:list',
      mvn,
      [
        ...common,
        'dependency:list',
        '-DincludeScope=runtime',
        '-DoutputAbsoluteArtifactFilename=true',
        '-DoutputFile=deps.txt',
      ],
      { cwd: work },
    );
    const artifacts: LockedArtifact[] = [];
    for (const line of readFileSync(path.join(work, 'deps.txt'), 'utf8').split(
      '\n',
    )) {
      // groupId:artifactId:jar:version:scope:/absolute/file.jar (classifiers are not used by Kafka's runtime)
      const match =
        /^\s*([^:\s]+):([^:]+):jar:([^:]+):(?:compile|runtime):(\/.+\.jar)/.exec(
          line,
        );
      if (!match) continue;
      const [, groupId, artifactId, v, file] = match;
      artifacts.push({
        groupId,
        artifactId,
        version: v,
        sha1: await sha1File(file),
      });
    }
    if (!artifacts.some(a => a.artifactId === 'kafka_2.13'))
      throw new Error(`Maven did not resolve kafka_2.13 ${version}`);
    artifacts.sort((a, b) =>
      `${a.groupId}:${a.artifactId}`.localeCompare(
        `${b.groupId}:${b.artifactId}`,
      ),
    );
    const lock: KafkaLock = {
      kafkaVersion: version,
      roots: [
        `org.apache.kafka:kafka_2.13:${version}`,
        `org.apache.kafka:kafka-tools:${version}`,
        `org.apache.logging.log4j:log4j-slf4j-impl:${log4j}`,
      ],
      artifacts,
    };
    writeFileSync(LOCK_FILE, `${JSON.stringify(lock, null, 2)}\n`);
    log(`Wrote ${LOCK_FILE}: Kafka ${version}, ${artifacts.length} jars`);
    return lock;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
