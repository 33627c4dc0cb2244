/**
 * Seeded random inputs for tests. Each run draws a fresh seed (or takes MIXDIM_TEST_SEED)
 * and prints it, so a failure can be replayed.
 */
import { mulberry32 } from "../../ts/data/random.js";

export function testSeed(label: string): number {
  const fixed = process.env.MIXDIM_TEST_SEED;
  const seed = fixed !== undefined ? Number(fixed) : Math.floor(Math.random() * 2 ** 31);
  console.log(`${label}: MIXDIM_TEST_SEED=${seed}`);
  return seed;
}

/** A seeded generator of floats in [0, 1): the library's own mulberry32. */
export const rng = mulberry32;

export function randomInt(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low));
}

export function randomFloats(random: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) out[i] = (random() * 2 - 1) * scale;
  return out;
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}
