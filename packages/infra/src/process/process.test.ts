import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireBinary } from './binaries';
import { supervise } from './supervisor';
import { waitReady } from './waitReady';

// A killed process may linger as a zombie until its new parent reaps it; that counts as gone.
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('process supervision', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'homelab-infra-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names the missing program and the package that provides it', () => {
    expect(() =>
      requireBinary({
        binary: '/nonexistent/mosquitto',
        providedBy: 'mosquitto (Debian package)',
      }),
    ).toThrow(
      /Missing \/nonexistent\/mosquitto: it is provided by mosquitto \(Debian package\).*apt-get install mosquitto/,
    );
  });

  it('stops the whole process group, leaving no orphans', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    // The shell ignores SIGTERM, so only the group kill after the timeout can end it.
    const child = supervise({
      name: 'test shell',
      command: 'sh',
      args: ['-c', `trap '' TERM; sleep 300 & echo $! > ${pidFile}; wait`],
      logFile: path.join(dir, 'log'),
      stopTimeoutMs: 500,
    });
    await waitReady(child, {
      timeoutMs: 5000,
      check: async () => readFileSync(pidFile, 'utf8').trim().length > 0,
    });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(grandchild)).toBe(true);
    await child.stop();
    expect(child.isRunning()).toBe(false);
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it('quotes the log when a process dies before it is healthy', async () => {
    const child = supervise({
      name: 'failing server',
      command: 'sh',
      args: ['-c', 'echo "bind: address in use"; exit 3'],
      logFile: path.join(dir, 'log'),
    });
    const error: Error = await waitReady(child, {
      timeoutMs: 5000,
      check: async () => false,
    }).catch(e => e);
    expect(error.message).toMatch(
      /failing server failed to start: the process exited \(code 3.*\n[\s\S]*bind: address in use/,
    );
    // The whole log is kept aside, since the component's run dir is removed.
    const kept = /full log: (\S+?)\)/.exec(error.message)![1];
    expect(readFileSync(kept, 'utf8')).toContain('bind: address in use');
    rmSync(kept);
  });
});
