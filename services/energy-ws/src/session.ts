import {
  dataFrame,
  formatPosition,
  Position,
  StreamName,
} from '@homelab/pipeline-contracts';
import { positionKey, StreamRecord } from './streamRecord';
import type { RecentRecords } from './recentRecords';
import type { PartitionOffsets, PartitionRange } from './replay';
import type { DeliveryFilter } from './scope';

/** What a session needs from its connection. */
export interface SessionSink {
  /**
   * Hands one frame to the client's socket; false once the client is gone or
   * was cut off for having more unsent bytes than its bound.
   */
  send(frame: string | Buffer): boolean;
  /** The client cannot keep up (its held-back live records overflowed). */
  overflow(): void;
}

/** One position per stream partition: the earliest, so a duplicate can cost a repeat but never a gap. */
export function uniquePositions(positions: Position[]): Position[] {
  const byPartition = new Map<string, Position>();
  for (const position of positions) {
    const key = positionKey(position.stream, position.partition);
    const known = byPartition.get(key);
    if (!known || Number(position.offset) < Number(known.offset))
      byPartition.set(key, position);
  }
  return [...byPartition.values()];
}

/** How one resumed partition was served, for `energy_ws_resumes_total`. */
export type ResumeSource = 'buffer' | 'kafka' | 'expired' | 'none';

/** What `beginResume` did at once, and what is left to read from Kafka. */
export interface ResumePlan {
  /** One entry per partition served from the in-memory buffer; its records are already sent. */
  fromBuffer: Array<{ stream: StreamName; sent: number }>;
  /** One per stream, to be read in this order; their partitions' live records are held until each finishes. */
  fromKafka: StreamReplay[];
}

/** Where one stream's replay reads, once the log's bounds are known. */
export interface ReplayBounds {
  ranges: Map<number, PartitionRange>;
  /** Positions moved up to the oldest record still in Kafka, as the client sees them. */
  expired: string[];
  /** How each wanted partition is served. */
  sources: ResumeSource[];
}

/**
 * One stream's part of a resume that must come from Kafka. It belongs to the
 * subscribe that asked for it: once the client subscribes again or goes, it
 * neither delivers nor moves the client's cursor.
 */
export interface StreamReplay {
  readonly stream: StreamName;
  /** Partition → the next offset the client wants. */
  readonly wanted: ReadonlyMap<number, number>;
  /**
   * The ranges to read, from the log's bounds read after the live records
   * were held: a position older than the log start continues from the
   * oldest record (and is reported), one beyond the log end (the topic was
   * recreated) from the end, so the next live records are not dropped as
   * already seen.
   */
  bound(offsets: PartitionOffsets[]): ReplayBounds;
  /** A record read from Kafka; true when it was sent. */
  offer(record: StreamRecord): boolean;
  /** The replay ended (done, failed or aborted): what arrived live meanwhile goes out, minus what the replay covered. */
  finish(): void;
}

/**
 * One client's subscription and its position ("cursor") per partition: the
 * next offset the client should get. This is where a record counts as
 * delivered to a client. It does when
 *
 * 1. its stream is subscribed and its device passes the subscription's filter
 *    (within the token's scope). A filtered-out record still moves the
 *    cursor: the client has seen its partition up to there;
 * 2. its offset is at or past the client's cursor on its partition. Below
 *    it, the client got it already, live or replayed, so resume has no
 *    duplicate;
 * 3. no replay of its partition from Kafka is running. While one is, live
 *    records of that partition wait here (at most `maxPending`, or the client
 *    is cut off as too slow) and go out when it finishes, minus what it
 *    covered, so resume has no gap;
 * 4. the connection handed it to the client's socket while the client's
 *    unsent bytes stayed under `server.maxSendQueueBytes`
 *    (connection.ts, socketWriter.ts). A client past that bound is cut off.
 *
 * Browsers send no acknowledgement. A client that lost its connection
 * subscribes again with the last `position` it saw, and `beginResume` sends
 * what it missed from the in-memory buffer or plans the read from Kafka. The
 * live consumer's offset commit (liveConsumer.ts) only makes the group's lag
 * visible; every client has its own position.
 */
export class ClientSession {
  /** Subscribed streams and, per stream, the devices sent (the subscribe's filter within the token's scope). */
  private filter: DeliveryFilter = new Map();
  private readonly cursors = new Map<string, number>();
  /** Live records held back per partition while it is replayed from Kafka. */
  private readonly held = new Map<string, StreamRecord[]>();
  /** Bumped on each subscribe and on close, so a replay for an earlier one stops delivering. */
  private generation = 0;

  constructor(
    private readonly sink: SessionSink,
    private readonly recent: RecentRecords,
    private readonly maxPending = 50_000,
  ) {}

  /** A new subscription replaces the old one, its positions and any replay for it. */
  subscribe(filter: DeliveryFilter): void {
    this.filter = filter;
    this.cursors.clear();
    this.held.clear();
    this.generation++;
  }

  /** The client is gone: nothing more is delivered, running replays included. */
  close(): void {
    this.filter = new Map();
    this.cursors.clear();
    this.held.clear();
    this.generation++;
  }

  /** A record from the live consumer; the frame is encoded once for all clients. */
  offerLive(record: StreamRecord, frame: () => string | Buffer): boolean {
    if (!this.filter.has(record.stream)) return false;
    const waiting = this.held.get(record.key);
    if (waiting) {
      if (waiting.length >= this.maxPending) this.sink.overflow();
      else waiting.push(record);
      return false;
    }
    return this.accept(record, frame);
  }

  /**
   * Starts a resume from the client's positions (one per partition, the
   * earliest). What the in-memory buffer still holds is sent now,
   * synchronously, so no live record can come in between. The other
   * partitions' live records are held *before* the log's end is read, and
   * the returned replays read Kafka up to it, so the hand-over from replay
   * to live has neither gap nor duplicate.
   */
  beginResume(positions: Position[]): ResumePlan {
    const plan: ResumePlan = { fromBuffer: [], fromKafka: [] };
    const fromKafka = new Map<StreamName, Map<number, number>>();
    for (const position of uniquePositions(positions)) {
      const { stream, partition } = position;
      const next = Number(position.offset) + 1;
      const buffered = this.recent.since(stream, partition, next);
      this.cursors.set(positionKey(stream, partition), next);
      if (buffered) {
        let sent = 0;
        for (const record of buffered)
          if (this.accept(record, () => dataFrame(record))) sent++;
        plan.fromBuffer.push({ stream, sent });
        continue;
      }
      this.held.set(positionKey(stream, partition), []);
      let wanted = fromKafka.get(stream);
      if (!wanted) fromKafka.set(stream, (wanted = new Map()));
      wanted.set(partition, next);
    }
    for (const [stream, wanted] of fromKafka)
      plan.fromKafka.push(this.streamReplay(stream, wanted));
    return plan;
  }

  private streamReplay(
    stream: StreamName,
    wanted: Map<number, number>,
  ): StreamReplay {
    const generation = this.generation;
    const current = () => generation === this.generation;
    return {
      stream,
      wanted,
      bound: offsets => {
        const bounds: ReplayBounds = {
          ranges: new Map(),
          expired: [],
          sources: [],
        };
        for (const [partition, next] of wanted) {
          const known = offsets.find(o => o.partition === partition);
          if (!known) {
            // A partition the topic does not have (any more): nothing to replay.
            bounds.sources.push('none');
            continue;
          }
          let from = next;
          const expired = from < known.low;
          if (expired) {
            bounds.expired.push(
              formatPosition({ stream, partition, offset: String(known.low) }),
            );
            from = known.low;
          }
          from = Math.min(from, known.high);
          if (current()) this.cursors.set(positionKey(stream, partition), from);
          bounds.ranges.set(partition, { from, to: known.high });
          bounds.sources.push(expired ? 'expired' : 'kafka');
        }
        return bounds;
      },
      offer: record =>
        current() && this.accept(record, () => dataFrame(record)),
      finish: () => {
        if (!current()) return;
        for (const partition of wanted.keys()) {
          const key = positionKey(stream, partition);
          const waiting = this.held.get(key);
          this.held.delete(key);
          for (const record of waiting ?? [])
            this.accept(record, () => dataFrame(record));
        }
      },
    };
  }

  /** Rules 1, 2 and 4 of the class comment; rule 3 is decided before this. */
  private accept(record: StreamRecord, frame: () => string | Buffer): boolean {
    const next = this.cursors.get(record.key);
    if (next !== undefined && record.offset < next) return false;
    this.cursors.set(record.key, record.offset + 1);
    const devices = this.filter.get(record.stream);
    if (devices && !devices.has(record.deviceId)) return false;
    return this.sink.send(frame());
  }
}
