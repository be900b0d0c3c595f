import { readdirSync, readFileSync } from 'node:fs';

/** One process as /proc/<pid>/stat tells it. */
export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  zombie: boolean;
  /** Start time in clock ticks since boot: tells a reused pid apart. */
  start: string;
}

/** Every process on the machine, from /proc. */
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses; the fields after it do not.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        pgid: Number(fields[2]),
        zombie: fields[0] === 'Z',
        start: fields[19],
      });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** The process's command line, or '' once it is gone. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .replace(/\0/g, ' ')
      .trim();
  } catch {
    return '';
  }
}

/** Every live (not zombie) process below `root`. */
export function descendants(root: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const p of all) {
      if (p.ppid === parent && !p.zombie) {
        found.push(p);
        queue.push(p.pid);
      }
    }
  }
  return found;
}

/** TCP sockets in LISTEN state: local address (hex, as /proc/net/tcp{,6} write it) and port. */
export function listeningSockets(): { address: string; port: number }[] {
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap(file =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map(line => line.trim().split(/\s+/))
      // state 0A = LISTEN
      .filter(cols => cols[3] === '0A' && cols[1]?.includes(':'))
      .map(cols => {
        const [address, port] = cols[1].split(':');
        return { address, port: parseInt(port, 16) };
      }),
  );
}
