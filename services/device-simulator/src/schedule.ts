/**
 * When each device sends. Sample times are fixed on a grid (start + k ×
 * interval) and a timer only decides when to catch up with the grid, so timer
 * jitter never changes the rate and one tick can emit several samples at high
 * multipliers.
 */
export interface Scheduled {
  intervalMs: number;
}

export interface ScheduleOptions {
  now?: () => number;
  /**
   * After a stall (a suspended laptop, a long GC), samples further behind than
   * this are skipped rather than sent in a burst: a real device does not
   * back-fill either.
   */
  maxCatchUp?: number;
}

export class Schedule<T extends Scheduled> {
  private readonly sent: number[];
  private startMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly maxCatchUp: number;

  constructor(
    private readonly devices: T[],
    private readonly emit: (device: T, sampleMs: number) => void,
    private readonly skip: (device: T, count: number) => void = () => {},
    options: ScheduleOptions = {},
  ) {
    this.sent = devices.map(() => 0);
    this.now = options.now ?? Date.now;
    this.maxCatchUp = options.maxCatchUp ?? 1000;
  }

  /** Every device sends its first sample at once, then one per interval. */
  start(): void {
    this.startMs = this.now();
    this.tick();
    const shortest = Math.min(...this.devices.map(d => d.intervalMs));
    const tickMs = Math.min(100, Math.max(5, Math.floor(shortest)));
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Emits every sample due up to now. Public so a test can drive it without timers. */
  tick(): void {
    const elapsed = this.now() - this.startMs;
    this.devices.forEach((device, i) => {
      const due = Math.floor(elapsed / device.intervalMs) + 1;
      if (due - this.sent[i] > this.maxCatchUp) {
        this.skip(device, due - this.maxCatchUp - this.sent[i]);
        this.sent[i] = due - this.maxCatchUp;
      }
      for (; this.sent[i] < due; this.sent[i]++) {
        this.emit(
          device,
          this.startMs + Math.round(this.sent[i] * device.intervalMs),
        );
      }
    });
  }
}
