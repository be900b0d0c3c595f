import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerResource } from './process/cleanup';

const owned = new Map<string, () => void>();

/**
 * A fresh directory for one component's data and log. It lives under the
 * system temp dir and is world-traversable, because PostgreSQL and Mosquitto
 * may run as their own OS users and must reach their sub-folders. It is
 * removed by removeDir(), or at the latest when this process exits.
 */
export function makeRunDir(component: string): string {
  const dir = mkdtempSync(
    path.join(os.tmpdir(), `homelab-infra-${component}-`),
  );
  chmodSync(dir, 0o755);
  owned.set(
    dir,
    registerResource({
      name: `temporary directory ${dir}`,
      // Removal waits for the process-exit pass, after the servers using it have stopped.
      stop: async () => undefined,
      kill: () => rmSync(dir, { recursive: true, force: true }),
    }),
  );
  return dir;
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
  owned.get(dir)?.();
  owned.delete(dir);
}
