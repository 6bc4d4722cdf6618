/**
 * Seeded pseudo-random numbers for the data pipeline: xoshiro128** (Blackman & Vigna 2018)
 * seeded through splitmix32, and seed derivation so any (seed, epoch, ...) gets its own stream.
 *
 * Deriving a stream per epoch, rather than advancing one stream across epochs, is what lets a run
 * resumed at epoch e reproduce exactly the order and augmentations of an uninterrupted run.
 */

/** Murmur3's 32-bit finaliser: a bijective avalanche mix of a 32-bit integer. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new Error(`${what}: expected a safe integer, found ${value}`);
}

/** Splits a safe integer (possibly negative or above 2^32) into 32-bit words for mixing. */
function words(value: number): [number, number] {
  return [value >>> 0, Math.floor(value / 0x100000000) >>> 0];
}

/**
 * A 32-bit seed derived from a base seed and any number of integer keys (epoch, stream id, ...).
 * Different key lists give unrelated seeds; the same list always gives the same seed.
 *
 * @example
 * deriveSeed(42, 3) === deriveSeed(42, 3);  // true
 * deriveSeed(42, 3) !== deriveSeed(42, 4);  // true
 */
export function deriveSeed(seed: number, ...keys: number[]): number {
  checkInteger(seed, 'seed');
  let [lo, hi] = words(seed);
  let h = fmix32(lo ^ 0x9e3779b9);
  h = fmix32(h ^ fmix32(hi + 0x7f4a7c15));
  for (let i = 0; i < keys.length; i++) {
    checkInteger(keys[i], `key ${i}`);
    [lo, hi] = words(keys[i]);
    // The key's position is mixed in so (a, b) and (b, a) differ.
    h = fmix32((h + Math.imul(i + 1, 0x85ebca6b)) ^ fmix32(lo + 0x9e3779b9));
    h = fmix32(h ^ fmix32(hi + 0x632be5ab));
  }
  return h;
}

/** A seeded generator (xoshiro128**). Not cryptographic; fast and statistically sound for shuffling. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Seeds the 128-bit state from `seed` with splitmix32, as the xoshiro authors recommend. */
  constructor(seed: number) {
    checkInteger(seed, 'seed');
    let x = deriveSeed(seed);
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      return fmix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // xoshiro's only bad state is all zeros.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator with an explicit state, for checking against the reference implementation. */
  static fromState(state: readonly [number, number, number, number]): Rng {
    const r = new Rng(0);
    [r.s0, r.s1, r.s2, r.s3] = state.map((v) => v >>> 0);
    return r;
  }

  /** Next uniformly distributed 32-bit unsigned integer. */
  nextU32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextU32() / 0x100000000;
  }

  /** Uniform integer in [0, n), exactly unbiased (rejection sampling), for 1 <= n <= 2^32. */
  int(n: number): number {
    if (!(n >= 1 && n <= 0x100000000 && Number.isInteger(n))) throw new Error(`Rng.int: expected an integer 1..2^32, found ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }
}

/** Anything indexable and writable: arrays and every typed array. */
export interface MutableArrayLike<T> {
  readonly length: number;
  [index: number]: T;
}

/**
 * Fisher-Yates shuffle in place; every permutation is equally likely.
 *
 * @example
 * const a = Int32Array.from([0, 1, 2, 3, 4]);
 * shuffleInPlace(a, new Rng(7));  // a is now a permutation of 0..4, the same one for seed 7
 */
export function shuffleInPlace<A extends MutableArrayLike<unknown>>(array: A, rng: Rng): A {
  for (let i = array.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}
