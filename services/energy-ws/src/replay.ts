import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

/**
 * How one stream's replay ended, for `energy_ws_kafka_replays_total`:
 * `superseded` and `cancelled_waiting` never created a consumer; `cancelled`
 * was aborted after it began joining its throwaway group.
 */
export type ReplayOutcome =
  | 'completed'
  | 'superseded'
  | 'cancelled_waiting'
  | 'cancelled'
  | 'failed';

export interface PartitionRange {
  /** First offset to read. */
  from: number;
  /** The high watermark when the client subscribed: records from here on come live. */
  to: number;
}

export interface PartitionOffsets {
  partition: number;
  /** Log start offset: the oldest record still in Kafka. */
  low: number;
  /** High watermark: the offset the next record will get. */
  high: number;
}

/**
 * Caps concurrent Kafka replays, so a reconnect storm queues instead of
 * opening a consumer per client. A replay cancelled while it waits leaves the
 * queue at once and never takes a slot.
 */
class Slots {
  private readonly waiting = new Set<() => void>();
  constructor(private free: number) {}

  /** Resolves true with a slot, or false (without one) once `signal` aborts. */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    return new Promise<boolean>(resolve => {
      const waiter = { granted: () => {}, cancelled: () => {} };
      waiter.cancelled = () => {
        this.waiting.delete(waiter.granted);
        resolve(false);
      };
      waiter.granted = () => {
        signal.removeEventListener('abort', waiter.cancelled);
        resolve(true);
      };
      this.waiting.add(waiter.granted);
      signal.addEventListener('abort', waiter.cancelled, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.values().next();
    if (next.done) {
      this.free++;
      return;
    }
    this.waiting.delete(next.value);
    next.value();
  }
}

/**
 * Reads past records for resuming clients. kafkajs has no `assign()`, so a
 * replay is a short-lived consumer in a throwaway group that seeks to the
 * wanted offsets, reads up to the high watermark captured at subscribe time,
 * and deletes its group afterwards so the portal does not list it.
 */
export class KafkaReplayer {
  private readonly slots: Slots;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly groupPrefix: string,
    maxConcurrent: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.slots = new Slots(maxConcurrent);
  }

  async offsets(topic: string): Promise<PartitionOffsets[]> {
    const result = await this.admin.fetchTopicOffsets(topic);
    return result.map(p => ({
      partition: p.partition,
      low: Number(p.low),
      high: Number(p.high),
    }));
  }

  /**
   * Calls `onMessage` for every record in each range, in offset order per
   * partition. Resolves when every range was read or `signal` aborted;
   * rejects on timeout. A replay aborted before its slot came never creates
   * a consumer, so it never joins a group.
   */
  async read(
    topic: string,
    ranges: Map<number, PartitionRange>,
    allPartitions: number[],
    onMessage: (partition: number, message: KafkaMessage) => void,
    signal: AbortSignal,
  ): Promise<ReplayOutcome> {
    const remaining = new Set(
      [...ranges].filter(([, r]) => r.from < r.to).map(([p]) => p),
    );
    if (remaining.size === 0) return 'completed';
    if (!(await this.slots.acquire(signal))) return 'cancelled_waiting';
    if (signal.aborted) {
      this.slots.release();
      return 'cancelled_waiting';
    }
    const groupId = `${this.groupPrefix}.replay.${randomUUID().slice(0, 8)}`;
    const consumer = this.kafka.consumer({
      groupId,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      retry: { retries: 2 },
    });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: false });
      const done = new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `replay of ${topic} timed out after ${this.timeoutMs} ms`,
              ),
            ),
          this.timeoutMs,
        );
        consumer.on(consumer.events.CRASH, event =>
          reject(event.payload.error),
        );
        // Once joined, an abort ends the replay at once. While joining, it
        // waits for the join to finish: leaving mid-join can strand a member
        // in the group, and then the group cannot be deleted.
        let joined = false;
        onAbort = () => {
          if (joined) resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        if (signal.aborted) {
          resolve();
          return;
        }
        const finish = (partition: number) => {
          remaining.delete(partition);
          consumer.pause([{ topic, partitions: [partition] }]);
          if (remaining.size === 0) resolve();
        };
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const range = ranges.get(batch.partition);
              if (!range || !remaining.has(batch.partition)) return;
              if (signal.aborted) return;
              for (const message of batch.messages) {
                const offset = Number(message.offset);
                if (offset < range.from) continue;
                if (offset >= range.to) break;
                onMessage(batch.partition, message);
              }
              if (Number(batch.lastOffset()) >= range.to - 1)
                finish(batch.partition);
            },
          })
          .then(() => {
            joined = true;
            if (signal.aborted) {
              resolve();
              return;
            }
            for (const [partition, range] of ranges) {
              if (remaining.has(partition))
                consumer.seek({ topic, partition, offset: String(range.from) });
            }
            const idle = allPartitions.filter(p => !remaining.has(p));
            if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
          })
          .catch(reject);
      });
      await done;
      return signal.aborted ? 'cancelled' : 'completed';
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      await consumer.disconnect().catch(() => undefined);
      await this.admin.deleteGroups([groupId]).catch(() => undefined);
      this.slots.release();
    }
  }
}
