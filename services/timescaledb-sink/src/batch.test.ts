import { chunk, writeIsolating } from './batch';

class RecordError extends Error {}

/** A fake table that refuses transactions containing a poison value. */
function fakeTable(
  poison: Set<number>,
  flaky: Map<number, number> = new Map(),
) {
  const stored: number[] = [];
  const transactions: number[][] = [];
  const write = async (items: number[]) => {
    transactions.push(items);
    for (const i of items) {
      const left = flaky.get(i);
      if (left) {
        flaky.set(i, left - 1);
        throw new RecordError(`flaky ${i}`);
      }
      if (poison.has(i)) throw new RecordError(`poison ${i}`);
    }
    stored.push(...items);
  };
  return { stored, transactions, write };
}

const opts = (write: (items: number[]) => Promise<void>) => ({
  write,
  isRecordError: (e: unknown) => e instanceof RecordError,
  attempts: 3,
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('writeIsolating', () => {
  it('writes a clean batch in one transaction', async () => {
    const table = fakeTable(new Set());
    expect(await writeIsolating(range(100), opts(table.write))).toEqual([]);
    expect(table.transactions).toHaveLength(1);
    expect(table.stored).toEqual(range(100));
  });

  it('isolates a poison record in the middle, stores its neighbours, tries it 3 times', async () => {
    const table = fakeTable(new Set([500]));
    const rejected = await writeIsolating(range(1000), opts(table.write));
    expect(rejected.map(r => [r.item, r.attempts])).toEqual([[500, 3]]);
    expect((rejected[0].error as Error).message).toBe('poison 500');
    expect(table.stored.sort((a, b) => a - b)).toEqual(
      range(1000).filter(i => i !== 500),
    );
    // One failed full write, about two transactions per halving, two retries.
    expect(table.transactions.length).toBeLessThanOrEqual(
      1 + 2 * Math.ceil(Math.log2(1000)) + 2,
    );
  });

  it('isolates several poison records', async () => {
    const table = fakeTable(new Set([0, 7, 999]));
    const rejected = await writeIsolating(range(1000), opts(table.write));
    expect(rejected.map(r => r.item)).toEqual([0, 7, 999]);
    expect(table.stored).toHaveLength(997);
  });

  it('stores a record that succeeds on its second try', async () => {
    const table = fakeTable(new Set(), new Map([[3, 2]]));
    expect(await writeIsolating(range(4), opts(table.write))).toEqual([]);
    expect(table.stored.sort()).toEqual(range(4));
  });

  it('calls beforeRetry before each write after a failure only', async () => {
    const table = fakeTable(new Set([5]));
    let calls = 0;
    const beforeRetry = async () => {
      calls++;
    };
    await writeIsolating(range(8), { ...opts(table.write), beforeRetry });
    expect(calls).toBe(table.transactions.length - 1);
    calls = 0;
    await writeIsolating(range(4), { ...opts(table.write), beforeRetry });
    expect(calls).toBe(0);
  });

  it('passes errors that are not about a record to the caller', async () => {
    const write = async () => {
      throw new Error('database down');
    };
    await expect(writeIsolating(range(3), opts(write))).rejects.toThrow(
      'database down',
    );
  });

  it('writes a clean batch with the bulk write alone', async () => {
    const bulkTable = fakeTable(new Set());
    const table = fakeTable(new Set());
    const rejected = await writeIsolating(range(50), {
      ...opts(table.write),
      bulk: bulkTable.write,
    });
    expect(rejected).toEqual([]);
    expect(bulkTable.stored).toEqual(range(50));
    expect(table.transactions).toHaveLength(0);
  });

  it('falls back from a refused bulk write to the split path', async () => {
    const poison = new Set([3, 41]);
    const bulkTable = fakeTable(poison);
    const table = fakeTable(poison);
    const told: unknown[] = [];
    const rejected = await writeIsolating(range(50), {
      ...opts(table.write),
      bulk: bulkTable.write,
      onBulkFailure: e => told.push(e),
    });
    expect(rejected.map(r => r.item)).toEqual([3, 41]);
    expect(rejected.every(r => r.attempts === 3)).toBe(true);
    expect(bulkTable.stored).toEqual([]);
    expect(table.stored.sort((a, b) => a - b)).toEqual(
      range(50).filter(i => !poison.has(i)),
    );
    expect(told).toHaveLength(1);
    expect(told[0]).toBeInstanceOf(RecordError);
  });

  it('passes an outage during the bulk write to the caller', async () => {
    const table = fakeTable(new Set());
    await expect(
      writeIsolating(range(3), {
        ...opts(table.write),
        bulk: async () => {
          throw new Error('database down');
        },
      }),
    ).rejects.toThrow('database down');
    expect(table.transactions).toHaveLength(0);
  });
});

describe('chunk', () => {
  it('keeps order and bounds the size', () => {
    expect(chunk(range(5), 2)).toEqual([[0, 1], [2, 3], [4]]);
    expect(chunk([], 3)).toEqual([]);
  });
});
