import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseSha1File } from './checksum';

async function get(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    throw new Error(
      `Cannot download ${url}: ${
        (error as Error).message
      } (is the network or the Maven repository reachable?)`,
    );
  }
  if (!response.ok)
    throw new Error(`Cannot download ${url}: HTTP ${response.status}`);
  return response;
}

/**
 * Downloads a file next to its destination and moves it into place only after
 * its SHA-1 matches both the pinned value and the one the repository publishes
 * beside it, so a cache never holds a truncated or tampered jar.
 */
export async function fetchVerified(
  url: string,
  dest: string,
  pinnedSha1: string,
): Promise<void> {
  const published = parseSha1File(await (await get(`${url}.sha1`)).text());
  if (published !== pinnedSha1) {
    throw new Error(
      `Checksum mismatch for ${url}: the repository publishes ${published}, the lock file pins ${pinnedSha1}`,
    );
  }
  // Per-process name: two processes filling an empty cache must not share a partial file.
  const partial = `${dest}.${process.pid}.part`;
  const hash = createHash('sha1');
  const response = await get(url);
  const body = Readable.fromWeb(response.body as any);
  body.on('data', chunk => hash.update(chunk));
  try {
    await pipeline(body, createWriteStream(partial));
    const actual = hash.digest('hex');
    if (actual !== pinnedSha1)
      throw new Error(
        `Checksum mismatch for ${url}: downloaded ${actual}, expected ${pinnedSha1}`,
      );
    await rename(partial, dest);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** Runs tasks with bounded parallelism; the first failure rejects after running ones settle. */
export async function inParallel<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        try {
          await task(item);
        } catch (error) {
          errors.push(error);
          queue.length = 0;
        }
      }
    }),
  );
  if (errors.length) throw errors[0];
}
