import type { StreamName } from '@homelab/plugin-streaming-common';
import { dataFrame, positionKey, StreamRecord } from './record';
import type { DeliveryFilter } from './scope';

/** What a session needs from its connection. */
export interface SessionSink {
  /** Sends one frame; false once the client is gone or was cut off. */
  send(frame: string | Buffer): boolean;
  /** The client cannot keep up (its replay backlog overflowed). */
  overflow(): void;
}

/**
 * One client's subscription and its position per partition. The position
 * ("cursor": the next offset the client should get) is what makes resume
 * gap- and duplicate-free: live records below it are dropped as already
 * sent, and while a partition is replayed from Kafka its live records wait
 * in `pending` until the replay caught up.
 */
export class ClientSession {
  /** Subscribed streams and, per stream, the devices sent (the subscribe's filter within the token's scope). */
  private filter: DeliveryFilter = new Map();
  private readonly cursors = new Map<string, number>();
  private readonly pending = new Map<string, StreamRecord[]>();
  /** Bumped on each subscribe so a replay for an older subscribe stops delivering. */
  generation = 0;

  constructor(
    private readonly sink: SessionSink,
    private readonly maxPending = 50_000,
  ) {}

  subscribe(filter: DeliveryFilter): number {
    this.filter = filter;
    this.cursors.clear();
    this.pending.clear();
    return ++this.generation;
  }

  get subscribed(): boolean {
    return this.filter.size > 0;
  }

  /** A record from the live consumer; the frame is encoded once for all clients. */
  offerLive(record: StreamRecord, frame: () => string | Buffer): boolean {
    if (!this.filter.has(record.stream)) return false;
    const waiting = this.pending.get(record.key);
    if (waiting) {
      if (waiting.length >= this.maxPending) this.sink.overflow();
      else waiting.push(record);
      return false;
    }
    return this.accept(record, frame);
  }

  /** A record the client missed (from the buffer or Kafka), for subscribe `generation`. */
  offerReplayed(record: StreamRecord, generation: number): boolean {
    if (generation !== this.generation) return false;
    return this.accept(record, () => dataFrame(record));
  }

  /** The client has seen everything before `nextOffset` on this partition. */
  setCursor(stream: StreamName, partition: number, nextOffset: number): void {
    this.cursors.set(positionKey(stream, partition), nextOffset);
  }

  /** Holds live records of a partition back while it is replayed from Kafka. */
  holdLive(stream: StreamName, partition: number): void {
    this.pending.set(positionKey(stream, partition), []);
  }

  /** Replay done: sends what arrived live meanwhile, minus what the replay covered. */
  releaseLive(
    stream: StreamName,
    partition: number,
    generation: number,
  ): number {
    if (generation !== this.generation) return 0;
    const key = positionKey(stream, partition);
    const waiting = this.pending.get(key);
    this.pending.delete(key);
    let sent = 0;
    for (const record of waiting ?? [])
      if (this.accept(record, () => dataFrame(record))) sent++;
    return sent;
  }

  private accept(record: StreamRecord, frame: () => string | Buffer): boolean {
    const next = this.cursors.get(record.key);
    if (next !== undefined && record.offset < next) return false;
    this.cursors.set(record.key, record.offset + 1);
    const devices = this.filter.get(record.stream);
    if (devices && !devices.has(record.deviceId)) return false;
    return this.sink.send(frame());
  }
}
