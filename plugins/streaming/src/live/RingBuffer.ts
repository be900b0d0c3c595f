/**
 * A fixed-capacity FIFO: pushing into a full buffer drops the oldest item.
 * Everything the Live tab keeps per device lives in one of these, so a tab
 * left open for days holds as much memory as one left open for an hour.
 */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0))
      throw new RangeError(
        `capacity must be a positive integer, got ${capacity}`,
      );
    this.items = new Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    const end = (this.start + this.count) % this.capacity;
    this.items[end] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** The i-th oldest item (0 = oldest). */
  at(i: number): T | undefined {
    const index = i < 0 ? i + this.count : i;
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.start + index) % this.capacity];
  }

  last(): T | undefined {
    return this.at(this.count - 1);
  }

  replaceLast(item: T): void {
    if (this.count === 0) this.push(item);
    else this.items[(this.start + this.count - 1) % this.capacity] = item;
  }

  /** Drops items from the old end while `stale` holds. */
  dropWhile(stale: (item: T) => boolean): void {
    while (this.count > 0 && stale(this.items[this.start] as T)) {
      this.items[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
  }

  toArray(): T[] {
    const out: T[] = new Array(this.count);
    for (let i = 0; i < this.count; i++)
      out[i] = this.items[(this.start + i) % this.capacity] as T;
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.count = 0;
  }
}
