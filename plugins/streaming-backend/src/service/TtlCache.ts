/**
 * Keeps a value (or the promise of one) for a few seconds, so a page that
 * refreshes every 10 s, opened by several people, asks the brokers and the
 * databases once per TTL instead of once per request. Failures are not kept.
 */
export class TtlCache<T> {
  private readonly entries = new Map<
    string,
    { expires: number; value: Promise<T> }
  >();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > t) return hit.value;
    if (this.entries.size > 1000) this.evictExpired(t);
    const value = load();
    this.entries.set(key, { expires: t + this.ttlMs, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  private evictExpired(t: number) {
    for (const [key, entry] of this.entries) {
      if (entry.expires <= t) this.entries.delete(key);
    }
  }
}
