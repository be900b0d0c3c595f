import { ChildProcess, spawn } from 'node:child_process';
import { devStackEnv } from './devStack';
import { repoRoot } from './portal';
import { cmdline, descendants, listeningSockets, processes } from './processes';

/**
 * bin/dev's process tree really goes away: after two quick Ctrl-C, after a
 * SIGTERM, and even after SIGKILL of dev-stack itself (its reaper stops the
 * children). And every service it starts listens on loopback only.
 */
jest.setTimeout(600_000);

/** Every live process that is one of `pids` or shares a process group with them. */
function survivors(pids: Set<number>, pgids: Set<number>): string[] {
  return processes()
    .filter(p => !p.zombie && (pids.has(p.pid) || pgids.has(p.pgid)))
    .map(p => `${p.pid} ${cmdline(p.pid)}`);
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | false,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 500));
  }
}

/** Local addresses (hex, as /proc/net/tcp{,6} write them) listening on `port`. */
function listeners(port: number): string[] {
  return listeningSockets()
    .filter(l => l.port === port)
    .map(l => l.address);
}

const LOOPBACK_V4 = '0100007F';

interface Stack {
  child: ChildProcess;
  output: () => string;
  ports: Record<string, number>;
  pids: Set<number>;
  pgids: Set<number>;
}

const DEV_STACK = ['scripts/dev-stack.mjs', '--portal=built'];

/** `args` run under this Node; the default is dev-stack alone, bin/dev wraps it in homelab-infra exec. */
async function startStack(args = DEV_STACK): Promise<Stack> {
  const { ports, env } = await devStackEnv();
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', d => (output += d));
  child.stderr!.on('data', d => (output += d));
  // The bridge answers its health check before the others are started.
  await until('dev-stack to start every component', 240_000, () => {
    if (child.exitCode !== null)
      throw new Error(`dev-stack exited early:\n${output}`);
    return output.includes('[dev] started backstage');
  });
  // Each component is yarn → node; wait until the four services' own processes exist.
  await until('the services to be running', 120_000, () => {
    const tree = descendants(child.pid!);
    return tree.filter(p => /src\/main\.ts/.test(cmdline(p.pid))).length >= 4;
  });
  const tree = descendants(child.pid!);
  // dev-stack shares this test's group; its children each lead their own.
  const ownGroup = processes().find(p => p.pid === process.pid)!.pgid;
  return {
    child,
    output: () => output,
    ports,
    pids: new Set([child.pid!, ...tree.map(p => p.pid)]),
    pgids: new Set(tree.map(p => p.pgid).filter(g => g !== ownGroup)),
  };
}

async function expectAllGone(stack: Stack, timeoutMs: number) {
  try {
    await until(
      'every process of the stack to end',
      timeoutMs,
      () => survivors(stack.pids, stack.pgids).length === 0,
    );
  } finally {
    // Never leave a stray stack behind for the next test, whatever happened.
    for (const pgid of stack.pgids) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  expect(survivors(stack.pids, stack.pgids)).toEqual([]);
}

describe('bin/dev (scripts/dev-stack.mjs)', () => {
  it('binds every service to loopback, and stops every child after two quick Ctrl-C', async () => {
    const stack = await startStack();
    const servicePorts = [
      'BRIDGE_OPS_PORT',
      'SINK_OPS_PORT',
      'ENERGY_WS_PORT',
      'SIMULATOR_OPS_PORT',
    ];
    for (const name of servicePorts) {
      const addresses = await until(`a listener on ${name}`, 180_000, () => {
        const found = listeners(stack.ports[name]);
        return found.length ? found : undefined;
      });
      expect({ [name]: addresses }).toEqual({ [name]: [LOOPBACK_V4] });
    }
    expect(stack.pgids.size).toBeGreaterThanOrEqual(5);
    stack.child.kill('SIGINT');
    stack.child.kill('SIGINT');
    // The second Ctrl-C kills at once: no 15 s grace.
    await expectAllGone(stack, 30_000);
  });

  it('stops every child on SIGTERM', async () => {
    const stack = await startStack();
    stack.child.kill('SIGTERM');
    await expectAllGone(stack, 60_000);
    expect(stack.output()).toContain('[dev] stopping');
  });

  it('stops every child even when dev-stack itself is killed with SIGKILL', async () => {
    const stack = await startStack();
    stack.child.kill('SIGKILL');
    // The reaper gives the children 10 s for a clean stop, then kills them.
    await expectAllGone(stack, 60_000);
  });

  it("stops every child after two quick Ctrl-C to bin/dev's homelab-infra, which kills dev-stack outright", async () => {
    // As bin/dev runs it; the infrastructure variables are already set, so it reuses this test's.
    const stack = await startStack([
      'packages/infra/bin/homelab-infra.mjs',
      'exec',
      '--',
      process.execPath,
      ...DEV_STACK,
    ]);
    stack.child.kill('SIGINT');
    stack.child.kill('SIGINT');
    await expectAllGone(stack, 60_000);
  });
});
