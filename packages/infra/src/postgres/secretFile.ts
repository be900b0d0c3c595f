import { chmodSync, writeFileSync } from 'node:fs';
import { chownTo, OsUser } from '../process/osUser';

/**
 * Writes a file that holds a password (the initdb password file, an env file
 * with DATABASE_URL) readable by its owner only. `mode` on write only applies
 * to a new file, so an existing one is narrowed too.
 */
export function writeSecretFile(
  file: string,
  content: string,
  owner?: OsUser,
): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
  chownTo(owner, file);
}
