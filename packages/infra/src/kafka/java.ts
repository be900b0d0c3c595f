import { appendFileSync, existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { requireBinary } from '../process/binaries';
import { run } from '../process/run';

const MIN_JAVA = 17; // Kafka 4 brokers and tools need Java 17.

let checked: Promise<string> | undefined;

/** The java executable (JAVA_HOME first), checked once per process to be recent enough. */
export function javaBinary(): Promise<string> {
  checked ??= (async () => {
    const java = requireBinary({
      binary: process.env.JAVA_HOME
        ? path.join(process.env.JAVA_HOME, 'bin', 'java')
        : 'java',
      providedBy: 'openjdk-17-jre-headless (or any Java 17+ runtime)',
    });
    const { stderr, stdout } = await run(java, ['-version']);
    const version = /version "(\d+)(?:\.(\d+))?/.exec(stderr + stdout);
    // Java 8 and older report "1.8.0"; later ones "17.0.15".
    let major = version ? Number(version[1]) : 0;
    if (major === 1 && version) major = Number(version[2]);
    if (major < MIN_JAVA) {
      throw new Error(
        `${java} is Java ${
          major || '(unknown)'
        }; Kafka needs Java ${MIN_JAVA}+ (e.g. apt-get install openjdk-17-jre-headless)`,
      );
    }
    return java;
  })();
  checked.catch(() => {
    checked = undefined;
  });
  return checked;
}

/**
 * JVM options, overridable through the variables Kafka's own scripts read:
 * KAFKA_HEAP_OPTS (small by default: several brokers share a laptop) and
 * KAFKA_JVM_PERFORMANCE_OPTS. The default stops JIT compilation at C1: on two
 * busy cores a broker then starts in about half the time, and C1 code is
 * still far faster than a homelab's message rate needs.
 */
export function brokerJvmArgs(log4jFile: string): string[] {
  const split = (value: string) => value.split(/\s+/).filter(Boolean);
  return [
    ...split(process.env.KAFKA_HEAP_OPTS ?? '-Xms128m -Xmx512m'),
    ...split(
      process.env.KAFKA_JVM_PERFORMANCE_OPTS ??
        '-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1',
    ),
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jFile}`,
  ];
}

/** Tools are short-lived: a small heap and the quick-start JIT tier. */
export function toolJvmArgs(log4jFile: string): string[] {
  return [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jFile}`,
  ];
}

/**
 * Appends a thread dump of a JVM to a log file, when the JDK's jcmd is
 * installed beside java: a broker that never becomes healthy then shows
 * where it is stuck. A JRE without jcmd just skips this.
 */
export async function appendThreadDump(
  java: string,
  pid: number,
  logFile: string,
): Promise<void> {
  const jcmd = path.join(path.dirname(realpathSync(java)), 'jcmd');
  if (!existsSync(jcmd)) return;
  const { stdout, stderr } = await run(jcmd, [String(pid), 'Thread.print'], {
    timeoutMs: 20_000,
  });
  appendFileSync(
    logFile,
    `\n[homelab-infra] thread dump after the start-up timeout:\n${stdout}${stderr}\n`,
  );
}
