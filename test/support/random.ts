/**
 * Seeded random inputs for tests. Each run draws a fresh seed (or takes MIXDIM_TEST_SEED)
 * and prints it, so a failure can be replayed.
 */
export function testSeed(label: string): number {
  const fixed = process.env.MIXDIM_TEST_SEED;
  const seed = fixed !== undefined ? Number(fixed) : Math.floor(Math.random() * 2 ** 31);
  console.log(`${label}: MIXDIM_TEST_SEED=${seed}`);
  return seed;
}

/** mulberry32: a small, fast, seedable generator of floats in [0, 1). */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
