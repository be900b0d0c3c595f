import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { KafkaClusters } from '../kafka/clusters';
import type { PartitionRange, RawLetter } from './letters';

/** The reader's consumer groups start with this; they never commit and are deleted after each read. */
export const DLQ_READER_GROUP_PREFIX = 'backstage-dlq-reader-';

export interface ReadResult {
  messages: RawLetter[];
  /** Set when reading stopped before every range was read. */
  partial?: string;
}

/**
 * Reads offset ranges of a dead-letter topic without touching anyone's
 * offsets. kafkajs can only fetch through a consumer group, so each read
 * uses a throwaway group with a random id that never commits (autoCommit
 * off, no commitOffsets) and is deleted afterwards. At most `maxConcurrent`
 * reads run at once; each is bounded in time and bytes.
 */
export class DlqReader {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly clusters: KafkaClusters,
    private readonly logger: LoggerService,
    private readonly options: {
      timeoutMs?: number;
      maxConcurrent?: number;
    } = {},
  ) {}

  async read(
    cluster: string,
    topic: string,
    ranges: PartitionRange[],
  ): Promise<ReadResult> {
    const wanted = ranges.filter(r => r.to > r.from);
    if (!wanted.length) return { messages: [] };
    await this.slot();
    try {
      return await this.readOnce(cluster, topic, wanted);
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private async slot() {
    if (this.active >= (this.options.maxConcurrent ?? 2))
      await new Promise<void>(resolve => this.waiting.push(resolve));
    this.active++;
  }

  private async readOnce(
    cluster: string,
    topic: string,
    ranges: PartitionRange[],
  ): Promise<ReadResult> {
    const groupId = `${DLQ_READER_GROUP_PREFIX}${randomUUID()}`;
    const consumer = this.clusters.client(cluster).consumer({
      groupId,
      maxBytesPerPartition: 1024 * 1024,
      maxBytes: 4 * 1024 * 1024,
      maxWaitTimeInMs: 250,
      retry: { retries: 2 },
    });
    const remaining = new Map(ranges.map(r => [r.partition, r]));
    const messages: RawLetter[] = [];
    let finish: () => void = () => undefined;
    const finished = new Promise<void>(resolve => (finish = resolve));
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>(
      resolve => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
    );
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch }) => {
          const range = remaining.get(batch.partition);
          if (!range) {
            // A partition with nothing to read (or read already): stop fetching it.
            consumer.pause([{ topic, partitions: [batch.partition] }]);
            return;
          }
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset >= range.from && offset < range.to) {
              messages.push({
                partition: batch.partition,
                offset: m.offset,
                timestamp: m.timestamp,
                key: m.key,
                value: m.value,
                headers: m.headers,
              });
            }
          }
          if (Number(batch.lastOffset()) >= range.to - 1) {
            remaining.delete(batch.partition);
            consumer.pause([{ topic, partitions: [batch.partition] }]);
            if (!remaining.size) finish();
          }
        },
      });
      for (const r of ranges)
        consumer.seek({
          topic,
          partition: r.partition,
          offset: String(r.from),
        });
      const outcome = await Promise.race([
        finished.then(() => 'done' as const),
        timedOut,
      ]);
      return outcome === 'done'
        ? { messages }
        : {
            messages,
            partial: `reading ${topic} took longer than ${
              timeoutMs / 1000
            } s; showing what was read`,
          };
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
      await this.clusters
        .withAdmin(cluster, admin => admin.deleteGroups([groupId]))
        .catch(error =>
          this.logger.debug(
            `dlq reader: group ${groupId} not deleted: ${error}`,
          ),
        );
    }
  }
}
