import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short-lived program to completion and collects its output. */
export function run(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group, so a timeout also kills whatever it forked.
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', chunk => stdout.push(chunk));
    child.stderr.on('data', chunk => stderr.push(chunk));
    const timer = options.timeoutMs
      ? setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // gone
          }
        }, options.timeoutMs)
      : undefined;
    // Whoever calls us may be interrupted; the tool must not outlive it.
    const killOnExit = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    };
    process.once('exit', killOnExit);
    child.once('error', error => {
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      reject(new Error(`Could not run ${command}: ${error.message}`));
    });
    child.once('close', code => {
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** Like run(), but a non-zero exit becomes an Error quoting the program's output. */
export async function runOrThrow(
  what: string,
  command: string,
  args: string[],
  options?: RunOptions,
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const output = `${result.stderr}\n${result.stdout}`
      .trim()
      .split('\n')
      .slice(-30)
      .join('\n');
    throw new Error(
      `${what} failed (exit code ${result.code}): ${command} ${args.join(
        ' ',
      )}\n${output}`,
    );
  }
  return result.stdout;
}
