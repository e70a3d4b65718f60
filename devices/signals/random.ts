// Seeded randomness for the simulator: the same seed gives the same fleet, readings and failures
// on every run and every machine, so a detection result can be reproduced exactly.
//
// The generator is mulberry32 (the same algorithm as test/helpers/prng.ts; devices/ must not import
// test/). Its whole state is one uint32, which lets signal models keep it in a plain, immutable
// state object, and lets `randomAt` jump straight to the n-th draw without drawing the ones before.

const GOLDEN = 0x6d2b79f5;

/** The output function of mulberry32 for one 32-bit state. */
function mix(a: number): number {
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A stateful mulberry32 stream: uniform draws in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + GOLDEN) >>> 0;
    return mix(a);
  };
}

/** The n-th draw (0-based) of `prng(seed)`, in O(1): a stateless, counter-based random number. */
export function randomAt(seed: number, n: number): number {
  return mix((seed + Math.imul(n + 1, GOLDEN)) >>> 0);
}

/** Derive an independent seed for a named part (a device, a failure) from a parent seed. */
export function childSeed(seed: number, name: string): number {
  // FNV-1a over the name, then one mulberry32 mix with the parent: cheap and well spread.
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return Math.floor(mix((seed ^ h) >>> 0) * 4294967296) >>> 0;
}

/**
 * Draws from a mulberry32 state held as a plain number. A pure function makes one, draws, and
 * stores `state` back into its result, so the caller's state object is never mutated.
 */
export class Draws {
  constructor(public state: number) {}

  /** Uniform in [0, 1). */
  uniform(): number {
    this.state = (this.state + GOLDEN) >>> 0;
    return mix(this.state);
  }

  /** Standard normal (mean 0, sd 1), by Box-Muller. */
  gauss(): number {
    const u = 1 - this.uniform(); // (0, 1]: log(0) would be -Infinity
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }
}

/**
 * Smooth noise in [-1, 1] that changes over `periodMs`: random values at every multiple of the
 * period, eased between (value noise). A pure function of time, for slow drift and demand curves.
 */
export function smoothNoise(seed: number, t: number, periodMs: number): number {
  const x = t / periodMs;
  const k = Math.floor(x);
  const f = x - k;
  const e = f * f * (3 - 2 * f); // smoothstep: no kinks at the knots
  const a = randomAt(seed, k) * 2 - 1;
  const b = randomAt(seed, k + 1) * 2 - 1;
  return a + (b - a) * e;
}
