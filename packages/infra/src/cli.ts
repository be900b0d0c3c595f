import { spawn } from 'node:child_process';
import os from 'node:os';
import { registerResource } from './process/cleanup';
import { startInfra, StartInfraOptions } from './infra';
import { ensureKafkaJars } from './kafka/jars';
import { resolveKafkaLock } from './kafka/resolveLock';
import { writeSecretFile } from './postgres/secretFile';

const USAGE = `Usage:
  homelab-infra up [--brokers N] [--write-env FILE]
      Start everything not set in the environment, print the variables
      (and write them to FILE), stay up until Ctrl-C / SIGTERM.
  homelab-infra exec [--brokers N] -- <cmd...>
      Start, run <cmd> with the variables set, stop, exit with its code.
  homelab-infra fetch
      Download and verify the Kafka jars into the cache.
  homelab-infra resolve-kafka <version>
      (Maintainers) re-resolve the Kafka jar lock file with Maven.

Variables: KAFKA_BROKERS, MQTT_URL, DATABASE_URL, TIMESCALE_URL (a set one is
used, not started), HOMELAB_CACHE.`;

const log = (line: string) => process.stderr.write(`[homelab-infra] ${line}\n`);

interface Flags {
  brokers?: number;
  writeEnv?: string;
  rest: string[];
}

function parseFlags(args: string[]): Flags {
  const flags: Flags = { rest: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      flags.rest = args.slice(i + 1);
      break;
    } else if (arg === '--brokers') {
      flags.brokers = Number(args[++i]);
      if (!Number.isInteger(flags.brokers) || flags.brokers < 1)
        throw new Error('--brokers needs a positive integer');
    } else if (arg === '--write-env') {
      flags.writeEnv = args[++i];
    } else {
      flags.rest = args.slice(i);
      break;
    }
  }
  return flags;
}

function infraOptions(flags: Flags): StartInfraOptions {
  return { kafkaBrokers: flags.brokers, log };
}

async function up(flags: Flags): Promise<number> {
  const infra = await startInfra(infraOptions(flags));
  const lines = Object.entries(infra.env).map(
    ([key, value]) => `${key}=${value}`,
  );
  // DATABASE_URL carries the run's PostgreSQL password.
  if (flags.writeEnv) writeSecretFile(flags.writeEnv, `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
  log('infrastructure is up; Ctrl-C or SIGTERM stops it');
  // The cleanup module's signal handler stops every component and exits.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => log(`${signal}: stopping`));
  await new Promise(() => undefined);
  return 0;
}

async function exec(flags: Flags): Promise<number> {
  const [command, ...args] = flags.rest;
  if (!command) throw new Error(`exec needs a command after --\n${USAGE}`);
  const infra = await startInfra(infraOptions(flags));
  log(`running ${[command, ...args].join(' ')}`);
  const child = spawn(command, args, {
    stdio: 'inherit',
    env: { ...process.env, ...infra.env },
  });
  const exited = new Promise<number>(resolve => {
    // A command killed by a signal exits like a shell reports it: 128 + signal number.
    child.once('exit', (code, signal) =>
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0)),
    );
    child.once('error', error => {
      log(`could not run ${command}: ${error.message}`);
      resolve(127);
    });
  });
  // On SIGTERM to this runner the command is asked to stop too, and waited for.
  const unregister = registerResource({
    name: `command ${command}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
    kill: () => child.kill('SIGKILL'),
  });
  const code = await exited;
  unregister();
  log(`command exited with ${code}; stopping infrastructure`);
  await infra.stop();
  return code;
}

/**
 * kafkajs (used by the Kafka health check) trips Node 24's TimeoutNegativeWarning
 * on every run; it is harmless and would bury the variables printed for the user.
 */
function muteKnownWarnings() {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: any[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
    const name = typeof warning === 'string' ? type : warning.name;
    if (name === 'TimeoutNegativeWarning') return;
    (emitWarning as any)(warning, ...rest);
  }) as typeof process.emitWarning;
}

export async function main(argv: string[]): Promise<number> {
  muteKnownWarnings();
  const [verb, ...args] = argv;
  switch (verb) {
    case 'up':
      return up(parseFlags(args));
    case 'exec':
      return exec(parseFlags(args));
    case 'fetch': {
      const { dir, downloaded } = await ensureKafkaJars({ log });
      log(
        downloaded
          ? `downloaded ${downloaded} jars into ${dir}`
          : `Kafka jars already complete in ${dir}`,
      );
      return 0;
    }
    case 'resolve-kafka': {
      if (!args[0])
        throw new Error('resolve-kafka needs a Kafka version, e.g. 4.1.1');
      await resolveKafkaLock(args[0], log);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return verb ? 0 : 2;
    default:
      process.stderr.write(`Unknown command ${verb}\n${USAGE}\n`);
      return 2;
  }
}
