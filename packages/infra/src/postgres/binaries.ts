import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { requireBinary } from '../process/binaries';

const DEBIAN_ROOT = '/usr/lib/postgresql';

/**
 * Debian keeps server programs out of PATH, under /usr/lib/postgresql/<major>/bin.
 * 15 is the project's target; HOMELAB_PG_BIN points elsewhere if needed.
 */
export function postgresBinDir(): string {
  if (process.env.HOMELAB_PG_BIN) return process.env.HOMELAB_PG_BIN;
  const preferred = path.join(DEBIAN_ROOT, '15', 'bin');
  if (existsSync(preferred)) return preferred;
  const majors = existsSync(DEBIAN_ROOT)
    ? readdirSync(DEBIAN_ROOT)
        .filter(v => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return majors.length ? path.join(DEBIAN_ROOT, majors[0], 'bin') : preferred;
}

export function postgresBinary(name: 'initdb' | 'postgres'): string {
  return requireBinary({
    binary: path.join(postgresBinDir(), name),
    providedBy: 'postgresql-15 (Debian package `postgresql`)',
  });
}
