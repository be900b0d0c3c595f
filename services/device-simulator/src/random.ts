/**
 * Seeded randomness. A fixed seed makes a simulated day reproducible, which
 * the tests and load-test comparisons need; production runs pick a seed from
 * the clock.
 */
export type Random = () => number;

/** mulberry32: tiny, fast, and good enough for plausible noise. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sample (Box–Muller). */
export function gaussian(random: Random): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * Mean-reverting noise (Ornstein–Uhlenbeck). Unlike white noise it moves by
 * small steps between close samples, so a reading never jumps between two
 * messages a second apart, yet over hours it wanders by about `sigma`.
 */
export class Drift {
  private value = 0;

  constructor(
    private readonly random: Random,
    /** Long-run standard deviation. */
    private readonly sigma: number,
    /** How quickly it returns to zero, in seconds. */
    private readonly timeConstantS: number,
  ) {}

  next(dtS: number): number {
    if (dtS <= 0) return this.value;
    const decay = Math.exp(-dtS / this.timeConstantS);
    this.value =
      this.value * decay +
      this.sigma * Math.sqrt(1 - decay * decay) * gaussian(this.random);
    return this.value;
  }
}

/** Seconds since the previous sample; 0 for the first one. */
export class Interval {
  private last: number | undefined;

  seconds(ms: number): number {
    const dt =
      this.last === undefined ? 0 : Math.max(0, (ms - this.last) / 1000);
    this.last = ms;
    return dt;
  }
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
