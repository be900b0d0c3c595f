import { chownSync, readFileSync } from 'node:fs';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

export const isRoot = () => process.getuid?.() === 0;

/** Looks a system user up in /etc/passwd (no NSS needed for the Debian service users). */
export function lookupUser(name: string): OsUser | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/**
 * The account a server must run as. Daemons such as PostgreSQL refuse root,
 * so under root we switch to their Debian service user; otherwise the
 * current user runs them and nothing changes.
 */
export function serviceUser(
  name: string,
  providedBy: string,
): OsUser | undefined {
  if (!isRoot()) return undefined;
  const user = lookupUser(name);
  if (!user) {
    throw new Error(
      `Running as root, but there is no '${name}' OS user to run the server as. ` +
        `It is created by ${providedBy}; install it, or run as a non-root user.`,
    );
  }
  return user;
}

export function chownTo(user: OsUser | undefined, ...paths: string[]) {
  if (!user) return;
  for (const p of paths) chownSync(p, user.uid, user.gid);
}
