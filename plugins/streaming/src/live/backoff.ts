export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** ±fraction of randomness, so a restarted energy-ws is not hit by every tab at once. */
  jitter?: number;
  random?: () => number;
}

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s, … up to 15 s by default. */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 15_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
  }

  next(): number {
    const base = Math.min(
      this.maxMs,
      this.initialMs * this.factor ** this.attempt,
    );
    this.attempt++;
    return Math.round(base * (1 + this.jitter * (this.random() * 2 - 1)));
  }

  reset(): void {
    this.attempt = 0;
  }
}
