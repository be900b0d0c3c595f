export interface RateLimitSettings {
  framesPerSecond: number;
  burst: number;
  closeAfterDropped: number;
}

/**
 * - `accept`: handle the frame.
 * - `warn`: the first frame past the limit; drop it and tell the client once.
 * - `drop`: past the limit again; drop it silently (one error per episode, so
 *   the replies cannot become a flood of their own).
 * - `close`: the client kept going past `closeAfterDropped` frames.
 */
export type RateDecision = 'accept' | 'warn' | 'drop' | 'close';

/**
 * A token bucket per connection: `burst` frames at once, refilled at
 * `framesPerSecond`. Frames dropped in a row are counted; an accepted frame
 * ends the episode.
 */
export class InboundRateLimit {
  private tokens: number;
  private updatedMs: number;
  private dropped = 0;

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = settings.burst;
    this.updatedMs = now();
  }

  take(): RateDecision {
    const now = this.now();
    this.tokens = Math.min(
      this.settings.burst,
      this.tokens +
        ((now - this.updatedMs) / 1000) * this.settings.framesPerSecond,
    );
    this.updatedMs = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.dropped = 0;
      return 'accept';
    }
    this.dropped++;
    if (this.dropped > this.settings.closeAfterDropped) return 'close';
    return this.dropped === 1 ? 'warn' : 'drop';
  }
}
