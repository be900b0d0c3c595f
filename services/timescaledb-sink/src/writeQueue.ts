/**
 * Per-partition write lanes, so that kafkajs can fetch the next records while
 * the previous chunk's COPY and commit run. kafkajs fetches again only when
 * every eachBatch of the last fetch has returned; with the write inside
 * eachBatch, fetching and writing alternate. A lane takes the chunk and
 * eachBatch returns; the lane writes its chunks one after the other, in
 * offset order, so a partition's offsets are still committed in order and
 * only after their rows (delivery.ts).
 *
 * The bound: a lane holds the chunk being written plus at most `ahead`
 * waiting ones; `push` waits for room, which holds eachBatch and therefore
 * the next fetch (backpressure). `drop` forgets the waiting chunks of a lane
 * (after a failed write, a rebalance, or on stop): they were never written
 * nor committed, and the caller makes kafkajs fetch them again (seek) or
 * leaves them to the partition's next owner.
 */
export type WriteJob = () => Promise<void>;

interface Lane {
  jobs: WriteJob[];
  running: boolean;
  /** Bumped by drop: a push that waited across it gives its chunk up. */
  epoch: number;
  /** Pushers waiting for room. */
  waiters: (() => void)[];
}

/** What `push` did with a chunk. */
export interface Pushed {
  /** Settles when the chunk's write has run (a job never rejects). */
  done: Promise<void>;
}

export class WriteQueue {
  private readonly lanes = new Map<string, Lane>();
  private idleWaiters: (() => void)[] = [];

  /** @param ahead chunks per lane that may wait behind the one being written. */
  constructor(private readonly ahead: number) {}

  /**
   * Queues `job` on lane `key` once there is room. Undefined when the lane
   * was dropped while this waited: the chunk is not queued.
   */
  async push(key: string, job: WriteJob): Promise<Pushed | undefined> {
    const lane = this.lane(key);
    const epoch = lane.epoch;
    while (lane.jobs.length + (lane.running ? 1 : 0) > this.ahead) {
      await new Promise<void>(wake => lane.waiters.push(wake));
      if (lane.epoch !== epoch) return undefined;
    }
    let finished!: () => void;
    const done = new Promise<void>(resolve => {
      finished = resolve;
    });
    lane.jobs.push(() => job().finally(finished));
    if (!lane.running) void this.run(lane);
    return { done };
  }

  /** Forgets the chunks waiting on lane `key`; the one being written finishes. */
  drop(key: string): void {
    const lane = this.lanes.get(key);
    if (lane) this.clear(lane);
  }

  /** drop() on every lane. */
  dropAll(): void {
    for (const lane of this.lanes.values()) this.clear(lane);
  }

  /** Chunks waiting or being written, over all lanes. */
  get size(): number {
    let n = 0;
    for (const lane of this.lanes.values())
      n += lane.jobs.length + (lane.running ? 1 : 0);
    return n;
  }

  /** Settles when no lane is writing and none has chunks waiting. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise(resolve => this.idleWaiters.push(resolve));
  }

  private lane(key: string): Lane {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { jobs: [], running: false, epoch: 0, waiters: [] };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  private clear(lane: Lane) {
    lane.jobs.length = 0;
    lane.epoch++;
    this.wake(lane);
  }

  private wake(lane: Lane) {
    const waiters = lane.waiters;
    lane.waiters = [];
    for (const wake of waiters) wake();
  }

  private async run(lane: Lane) {
    lane.running = true;
    try {
      for (let job = lane.jobs.shift(); job; job = lane.jobs.shift()) {
        this.wake(lane);
        await job().catch(() => undefined);
      }
    } finally {
      lane.running = false;
      this.wake(lane);
      if (this.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }
}
