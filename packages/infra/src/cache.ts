import os from 'node:os';
import path from 'node:path';

/** Root of everything downloaded or prepared once, kept outside the repository. */
export function cacheRoot(): string {
  return (
    process.env.HOMELAB_CACHE ||
    path.join(os.homedir(), '.cache', 'homelab-streaming')
  );
}
