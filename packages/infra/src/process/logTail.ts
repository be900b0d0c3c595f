import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last lines of a log file, read from its end so huge logs cost nothing. */
export function logTail(file: string, lines = 30): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return `(no log at ${file})`;
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').replace(/\s+$/, '');
    return text.split('\n').slice(-lines).join('\n') || '(log is empty)';
  } finally {
    closeSync(fd);
  }
}
