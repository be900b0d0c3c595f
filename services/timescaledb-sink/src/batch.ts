/** A record the database refused on its own, after all its tries. */
export interface Rejected<T> {
  item: T;
  error: unknown;
  attempts: number;
}

export interface IsolateOptions<T> {
  /** Writes all items in one transaction, or throws and writes none. */
  write: (items: T[]) => Promise<void>;
  /**
   * A faster write for the whole batch (COPY), tried first. When it fails on
   * the data, the batch goes through `write` and the split path as if the
   * fast write did not exist, so a record is isolated the same way.
   */
  bulk?: (items: T[]) => Promise<void>;
  /** Told why the bulk write was given up for this batch. */
  onBulkFailure?: (err: unknown) => void;
  /** True when the error is about the data of a record, not the database. */
  isRecordError: (err: unknown) => boolean;
  /** Tries for a lone failing record before it is rejected. */
  attempts: number;
  /** Runs before each write after a failure, e.g. a Kafka heartbeat. */
  beforeRetry?: () => Promise<void>;
}

/** Splits a batch into chunks of at most `size` items, keeping order. */
export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(items.slice(i, i + size));
  return out;
}

/**
 * Writes a batch; when a record's data makes the transaction fail, halves
 * the batch until the failing record stands alone, so one bad value costs
 * about 2·log2(n) extra transactions and its neighbours are still stored.
 * A lone record is tried `attempts` times in all before it is rejected.
 * Any other error (the database is gone) ends the whole call: the caller
 * waits and replays the chunk, which the unique key makes harmless.
 */
export async function writeIsolating<T>(
  items: T[],
  opts: IsolateOptions<T>,
): Promise<Rejected<T>[]> {
  const rejected: Rejected<T>[] = [];
  let failed = false;
  const attempt = async (
    part: T[],
  ): Promise<{ error: unknown } | undefined> => {
    // Isolating a record can take many statements; the group must not
    // think this consumer died meanwhile.
    if (failed) await opts.beforeRetry?.();
    try {
      await opts.write(part);
      return undefined;
    } catch (error) {
      if (!opts.isRecordError(error)) throw error;
      failed = true;
      return { error };
    }
  };
  if (opts.bulk && items.length) {
    try {
      await opts.bulk(items);
      return rejected;
    } catch (error) {
      if (!opts.isRecordError(error)) throw error;
      failed = true;
      opts.onBulkFailure?.(error);
    }
  }
  const run = async (part: T[]): Promise<void> => {
    if (part.length === 0) return;
    let failure = await attempt(part);
    if (!failure) return;
    if (part.length > 1) {
      const mid = part.length >> 1;
      await run(part.slice(0, mid));
      await run(part.slice(mid));
      return;
    }
    let tries = 1;
    while (failure && tries < opts.attempts) {
      tries++;
      const next = await attempt(part);
      if (!next) return;
      failure = next;
    }
    rejected.push({ item: part[0], error: failure.error, attempts: tries });
  };
  await run(items);
  return rejected;
}
