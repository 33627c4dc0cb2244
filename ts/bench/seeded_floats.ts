/**
 * The benchmarks' synthetic inputs: seeded uniform floats, the same on every run and machine so
 * that figures from different runs time the same work.
 */
import { mulberry32 } from "../data/random.js";

/** `n` floats uniform in [−scale, scale), from mulberry32(seed). */
export function seededFloats(n: number, seed: number, scale = 1): Float32Array {
  const uniform = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) out[i] = (uniform() * 2 - 1) * scale;
  return out;
}
