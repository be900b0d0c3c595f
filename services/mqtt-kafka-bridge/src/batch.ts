import type { TopicMessages } from 'kafkajs';
import { OutgoingMessage, estimatedBytes } from './kafkaMessage';

export interface BatchItem<T> {
  out: OutgoingMessage;
  /** What the caller needs back when Kafka acknowledged the item. */
  meta: T;
}

export interface BatcherOptions<T> {
  maxMessages: number;
  /**
   * Bytes of records one produce request may carry (kafkaLimits.ts). Every
   * item added must fit alone; convert.ts dead-letters what does not.
   */
  maxBytes: number;
  /** How long the first message of a batch may wait for company. */
  lingerMs: number;
  /** Sends one batch; rejects if Kafka did not acknowledge all of it. */
  send: (batch: TopicMessages[]) => Promise<void>;
  /** Kafka acknowledged these items; called in arrival order within a partition. */
  acked: (items: readonly BatchItem<T>[]) => void;
  /** An error the record causes (kafkaErrors.ts): sending it again cannot help. */
  isRecordError: (err: unknown) => boolean;
  /**
   * The dead letter that replaces an item Kafka refused, or undefined when
   * the item is already the smallest dead letter there is.
   */
  replace: (item: BatchItem<T>, err: unknown) => BatchItem<T> | undefined;
  /** Kafka refused the item and every dead letter for it; the caller must still settle it. */
  undeliverable: (item: BatchItem<T>, err: unknown) => void;
  /** Items of an abandoned MQTT connection: Mosquitto redelivers them, so they are not sent. */
  isStale?: (meta: T) => boolean;
  onSent?: (items: number, ms: number) => void;
  onFailed?: (err: unknown, attempt: number) => void;
  onIsolated?: (err: unknown, items: number) => void;
  retryBackoffMs?: { initial: number; max: number };
}

/** Groups items by topic, keeping arrival order within each topic. */
export function groupByTopic(
  items: readonly BatchItem<unknown>[],
): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const { out } of items) {
    let group = byTopic.get(out.topic);
    if (!group)
      byTopic.set(out.topic, (group = { topic: out.topic, messages: [] }));
    group.messages.push(out.message);
  }
  return [...byTopic.values()];
}

/** Groups items by topic and partition (fixed by convert.ts), keeping arrival order. */
export function groupByPartition<T>(
  items: readonly BatchItem<T>[],
): BatchItem<T>[][] {
  const groups = new Map<string, BatchItem<T>[]>();
  for (const item of items) {
    const key = `${item.out.topic}\u0000${item.out.message.partition ?? ''}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(item);
  }
  return [...groups.values()];
}

type Attempt<T> =
  | { outcome: 'acked'; items: BatchItem<T>[] }
  | { outcome: 'refused'; err: unknown; items: BatchItem<T>[] }
  | { outcome: 'stopped' };

/**
 * One batch in flight at a time: the idempotent producer allows a single
 * in-flight request, and a failed batch is retried before anything queued
 * behind it, so per-key order holds across Kafka outages. Messages that
 * arrive meanwhile form the next batch, which is where batching comes from
 * under load. A batch stays under Kafka's byte limit.
 *
 * Only "Kafka unreachable" is retried without end. When Kafka refuses a
 * record (MESSAGE_TOO_LARGE, INVALID_RECORD, …) the batch is split: one
 * request per partition, then halves of the refusing partition, down to the
 * one record, which is replaced by its dead letter. Kafka appends each
 * partition's records of a request all or nothing, but a request with several
 * partitions can half succeed; the per-partition resends go through the same
 * idempotent producer with the same records in the same order, so Kafka
 * recognises what it already wrote and does not write it again.
 */
export class Batcher<T> {
  private queue: BatchItem<T>[] = [];
  private inFlight = 0;
  /** The batch being delivered, so dropStale can stop counting its stale items. */
  private current: BatchItem<T>[] = [];
  private wake: (() => void) | undefined;
  private idle: (() => void)[] = [];
  private stopped = false;
  private loop: Promise<void>;

  constructor(private readonly options: BatcherOptions<T>) {
    this.loop = this.run();
  }

  add(item: BatchItem<T>): void {
    if (this.stopped) throw new Error('batcher is stopped');
    this.queue.push(item);
    if (
      this.queue.length >= this.options.maxMessages ||
      this.options.lingerMs <= 0
    )
      this.wake?.();
    else if (this.queue.length === 1)
      setTimeout(() => this.wake?.(), this.options.lingerMs);
  }

  /** Items queued or being sent. */
  get size(): number {
    return this.queue.length + this.inFlight;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Forgets queued items of an abandoned connection now; the batch in flight drops them before its next attempt. */
  dropStale(): number {
    const isStale = this.options.isStale;
    if (!isStale) return 0;
    const before = this.queue.length;
    this.queue = this.queue.filter(i => !isStale(i.meta));
    // The batch in flight still references its stale items until its attempt ends, but never sends them again.
    this.inFlight = this.current.filter(i => !isStale(i.meta)).length;
    return before - this.queue.length;
  }

  /** Resolves when everything added so far is acknowledged. */
  flushed(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise(resolve => this.idle.push(resolve));
  }

  /** Stops after the current attempt; unsent items stay unacknowledged. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.queue.length === 0) {
        this.idle.splice(0).forEach(resolve => resolve());
        await new Promise<void>(resolve => (this.wake = resolve));
        continue;
      }
      const batch = this.take();
      this.current = batch;
      this.inFlight = batch.length;
      await this.deliver(batch);
      this.current = [];
      this.inFlight = 0;
    }
  }

  /** The next batch: at most maxMessages items and maxBytes bytes, at least one item. */
  private take(): BatchItem<T>[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < this.options.maxMessages) {
      const { out } = this.queue[n];
      bytes += out.bytes ?? estimatedBytes(out.message);
      if (n > 0 && bytes > this.options.maxBytes) break;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async deliver(batch: BatchItem<T>[]): Promise<void> {
    const first = await this.attempt(batch, true);
    if (first.outcome === 'acked') {
      if (first.items.length) this.options.acked(first.items);
    } else if (first.outcome === 'refused') {
      this.options.onIsolated?.(first.err, first.items.length);
      for (const group of groupByPartition(first.items))
        if (!(await this.bisect(group))) return;
    }
  }

  /** Sends a group of one partition, halving it on refusal; false when stopped. */
  private async bisect(group: BatchItem<T>[]): Promise<boolean> {
    const result = await this.attempt(group, false);
    if (result.outcome === 'stopped') return false;
    if (result.outcome === 'acked') {
      this.options.acked(group);
      return true;
    }
    if (group.length === 1) return this.deadLetter(group[0], result.err);
    const half = Math.ceil(group.length / 2);
    return (
      (await this.bisect(group.slice(0, half))) &&
      (await this.bisect(group.slice(half)))
    );
  }

  /** Replaces a refused item by its dead letter, and that by a smaller one, a bounded number of times. */
  private async deadLetter(item: BatchItem<T>, err: unknown): Promise<boolean> {
    let refusedErr = err;
    for (
      let current = this.options.replace(item, refusedErr);
      current;
      current = this.options.replace(current, refusedErr)
    ) {
      const result = await this.attempt([current], false);
      if (result.outcome === 'stopped') return false;
      if (result.outcome === 'acked') {
        this.options.acked([current]);
        return true;
      }
      refusedErr = result.err;
    }
    this.options.undeliverable(item, refusedErr);
    return true;
  }

  /**
   * Sends until Kafka acknowledges or refuses a record; waits out anything
   * else with backoff. With `dropStale`, items of an abandoned connection
   * are left out of every attempt.
   */
  private async attempt(
    items: BatchItem<T>[],
    dropStale: boolean,
  ): Promise<Attempt<T>> {
    const backoff = this.options.retryBackoffMs ?? { initial: 200, max: 5000 };
    const isStale = dropStale ? this.options.isStale : undefined;
    let live = items;
    for (let attempt = 1; ; attempt++) {
      if (isStale) live = live.filter(i => !isStale(i.meta));
      if (live.length === 0) return { outcome: 'acked', items: live };
      const started = performance.now();
      try {
        await this.options.send(groupByTopic(live));
        this.options.onSent?.(live.length, performance.now() - started);
        return { outcome: 'acked', items: live };
      } catch (err) {
        if (this.options.isRecordError(err))
          return { outcome: 'refused', err, items: live };
        this.options.onFailed?.(err, attempt);
        if (this.stopped) {
          // Put it back so size stays honest; the messages stay unacknowledged.
          this.queue.unshift(...live);
          return { outcome: 'stopped' };
        }
        const delay = Math.min(
          backoff.max,
          backoff.initial * 2 ** (attempt - 1),
        );
        await new Promise<void>(resolve => {
          const t = setTimeout(resolve, delay);
          this.wake = () => {
            if (this.stopped) {
              clearTimeout(t);
              resolve();
            }
          };
        });
      }
    }
  }
}
