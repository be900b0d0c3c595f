import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

/**
 * What a benchmark figure means depends on the machine and on what else was
 * running, so every benchmark prints these facts beside its numbers and
 * refuses to report from a busy machine.
 */
export interface MachineFacts {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  loadAtStart: number;
}

/** Set to 1 to measure anyway on a busy machine; the report says so. */
export const ALLOW_BUSY_ENV = 'BENCH_ALLOW_BUSY';

function cpuModel(): string {
  const model = cpus()[0]?.model?.trim();
  if (model) return model;
  // Some virtual machines report an empty model through os.cpus().
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find(l => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Prints the machine facts and the 1-minute load average, and exits with
 * status 2 when the load is above the core count: figures taken beside other
 * work are not comparable with the documented ones.
 */
export function checkQuietMachine(benchmark: string): MachineFacts {
  const facts: MachineFacts = {
    cores: cpus().length,
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAtStart: loadavg()[0],
  };
  console.log(
    `[${benchmark}] machine: ${facts.cores} cores (${facts.cpuModel}), ` +
      `${facts.memoryGiB} GiB, node ${facts.node}, ` +
      `load average at start ${facts.loadAtStart.toFixed(2)}`,
  );
  if (facts.loadAtStart > facts.cores) {
    const busy =
      `load average ${facts.loadAtStart.toFixed(2)} is above the ` +
      `${facts.cores} cores: other work would share the CPU and the figures ` +
      `would not describe this code.`;
    if (process.env[ALLOW_BUSY_ENV] !== '1') {
      console.error(
        `[${benchmark}] refusing to report: ${busy} Wait for a quiet ` +
          `machine, or set ${ALLOW_BUSY_ENV}=1 to measure anyway (the report ` +
          `is then marked as taken on a busy machine).`,
      );
      process.exit(2);
    }
    console.warn(
      `[${benchmark}] BUSY MACHINE, figures not comparable: ${busy}`,
    );
  }
  return facts;
}

/** Prints the load at the end, so a reader sees if the run itself was disturbed. */
export function reportLoadAtEnd(benchmark: string, facts: MachineFacts): void {
  const end = loadavg()[0];
  console.log(
    `[${benchmark}] load average at start ${facts.loadAtStart.toFixed(2)}, ` +
      `at end ${end.toFixed(2)} (${facts.cores} cores)`,
  );
}
