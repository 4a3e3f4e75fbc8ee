/**
 * Seeded pseudo-random numbers (mulberry32: 32-bit state, good enough for simulation, tiny, and the
 * same sequence in Node and XS). Every source of variation in the simulator draws from one of these,
 * so the same seed gives the same trace.
 */
export class SimRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform integer in [0, 2^32). */
  nextU32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n) for 1 ≤ n ≤ 2^32 (0 when n < 1). */
  nextInt(n: number): number {
    if (!(n >= 1)) return 0;
    return Math.floor(this.nextFloat() * Math.floor(n));
  }

  /** Uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Fill `bytes` with random bytes and return it. */
  fill(bytes: Uint8Array): Uint8Array {
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.nextU32() & 0xff;
    return bytes;
  }
}
