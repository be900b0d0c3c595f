import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function sha1File(file: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(file))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Maven's .sha1 files hold the hex digest, sometimes followed by a file name. */
export function parseSha1File(text: string): string {
  const digest = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!/^[0-9a-f]{40}$/.test(digest))
    throw new Error(
      `not a SHA-1 checksum file: ${JSON.stringify(text.slice(0, 80))}`,
    );
  return digest;
}
