import { positionKey, StreamRecord } from './streamRecord';
import type { StreamName } from '@homelab/pipeline-contracts';

/**
 * The last N records the live consumer saw per partition, so that the common
 * resume (a client that dropped for seconds) needs no Kafka read. Only ever
 * holds what the live consumer read in order, so a covered range has no gap.
 */
export class RecentRecords {
  private readonly partitions = new Map<string, StreamRecord[]>();

  constructor(private readonly capacity: number) {}

  append(record: StreamRecord): void {
    if (this.capacity === 0) return;
    const key = positionKey(record.stream, record.partition);
    let list = this.partitions.get(key);
    if (!list) this.partitions.set(key, (list = []));
    // A rewind (e.g. an offset reset) would break "contiguous"; start over.
    if (list.length > 0 && record.offset <= list[list.length - 1].offset)
      list.length = 0;
    list.push(record);
    // Trim in chunks so the array shift cost is amortised.
    if (list.length > this.capacity + Math.max(16, this.capacity >> 3))
      list.splice(0, list.length - this.capacity);
  }

  /**
   * The records from `nextOffset` on, or undefined when the buffer does not
   * reach back that far (or the offset lies beyond what was seen).
   */
  since(
    stream: StreamName,
    partition: number,
    nextOffset: number,
  ): StreamRecord[] | undefined {
    const list = this.partitions.get(positionKey(stream, partition));
    if (!list || list.length === 0) return undefined;
    const first = list[0].offset;
    const last = list[list.length - 1].offset;
    if (nextOffset < first || nextOffset > last + 1) return undefined;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].offset < nextOffset) lo = mid + 1;
      else hi = mid;
    }
    return list.slice(lo);
  }
}
