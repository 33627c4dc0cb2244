/**
 * A small seedable PRNG for synthetic data.
 *
 * Math.random() cannot be seeded, and synthetic data sets and benchmark inputs must be the same
 * on every run and every machine, so that figures and tests can be compared. mulberry32 is
 * enough for that: 32 bits of state, period 2^32, passes gjrand/PractRand to a few GB, and a
 * few integer ops per draw. It is not for cryptography, nor for streams longer than ~2^32 draws.
 */

/** A source of uniform doubles in [0, 1). */
export type UniformSource = () => number;

/** mulberry32's source, whose position a checkpoint can read and set. */
export interface Mulberry32 extends UniformSource {
  /**
   * The 32-bit state: it advances by a constant per draw, so reading it and assigning it back
   * later (or to a fresh source) replays the stream from that draw on.
   */
  state: number;
}

/**
 * mulberry32 (Tommy Ettinger, public domain): returns uniform doubles in [0, 1) with 32 bits
 * of resolution (multiples of 2^-32).
 *
 * @example
 * const uniform = mulberry32(42);
 * const x = uniform();   // the same sequence for seed 42 everywhere
 */
export function mulberry32(seed: number): Mulberry32 {
  if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
  // The state stays a closure variable (the hot path); the property only reads and sets it.
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.defineProperty(next, "state", {
    get: () => state,
    set: (value: number) => {
      if (!Number.isInteger(value)) throw new TypeError(`state must be an integer, got ${value}`);
      state = value >>> 0;
    },
  }) as Mulberry32;
}
