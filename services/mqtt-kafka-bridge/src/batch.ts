import type { TopicMessages } from 'kafkajs';
import { OutgoingMessage } from './kafkaMessage';

export interface BatchItem<T> {
  out: OutgoingMessage;
  /** What the caller needs back when Kafka acknowledged the item. */
  meta: T;
}

export interface BatcherOptions<T> {
  maxMessages: number;
  /** How long the first message of a batch may wait for company. */
  lingerMs: number;
  /** Sends one batch; rejects if Kafka did not acknowledge all of it. */
  send: (batch: TopicMessages[]) => Promise<void>;
  /** Kafka acknowledged these items; called once per batch, in arrival order. */
  acked: (items: readonly BatchItem<T>[]) => void;
  onSent?: (items: number, ms: number) => void;
  onFailed?: (err: unknown, attempt: number) => void;
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

/**
 * One batch in flight at a time: the idempotent producer allows a single
 * in-flight request, and a failed batch is retried whole before anything
 * queued behind it, so per-key order holds across Kafka outages. Messages
 * that arrive meanwhile form the next batch, which is where batching comes
 * from under load.
 */
export class Batcher<T> {
  private queue: BatchItem<T>[] = [];
  private inFlight = 0;
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
      const batch = this.queue.splice(0, this.options.maxMessages);
      this.inFlight = batch.length;
      await this.sendUntilAcked(batch);
      this.inFlight = 0;
    }
  }

  private async sendUntilAcked(batch: BatchItem<T>[]): Promise<void> {
    const topics = groupByTopic(batch);
    const backoff = this.options.retryBackoffMs ?? { initial: 200, max: 5000 };
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        await this.options.send(topics);
        this.options.onSent?.(batch.length, performance.now() - started);
        this.options.acked(batch);
        return;
      } catch (err) {
        this.options.onFailed?.(err, attempt);
        if (this.stopped) {
          // Put it back so size stays honest; the messages stay unacknowledged.
          this.queue.unshift(...batch);
          return;
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
