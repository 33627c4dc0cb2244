/**
 * Independent random streams from one user seed.
 *
 * The synthetic generator and the splits draw several kinds of numbers (users, items, noise,
 * gaps, reservoir slots). Each kind takes its own mulberry32 stream, seeded by mixing the
 * user's seed with the stream's number, so that adding a draw of one kind (say, categorical
 * fields) leaves the others unchanged: the same seed gives the same ratings with or without
 * fields, and the CSV writer and the in-memory generator agree row for row.
 */
import { mulberry32, type Mulberry32, type UniformSource } from "./random.js";

/**
 * The seed of stream `stream` under `seed`: the murmur3 32-bit finaliser of a combination of
 * both, so that neighbouring seeds and neighbouring streams give unrelated states.
 */
export function deriveSeed(seed: number, stream: number): number {
  // Fold the high bits of a seed beyond 32 bits in, so that seeds 1 and 2^32 + 1 differ.
  let h = (Math.floor(seed / 4294967296) ^ Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The uniform stream number `stream` under `seed`. */
export function uniformStream(seed: number, stream: number): Mulberry32 {
  return mulberry32(deriveSeed(seed, stream));
}

/** Standard normal draws by the Box–Muller transform, two per pair of uniforms. */
export class GaussianSource {
  readonly #uniform: UniformSource;
  #spare = 0;
  #hasSpare = false;

  constructor(uniform: UniformSource) {
    this.#uniform = uniform;
  }

  /**
   * The second draw of the last pair, which the next call returns without drawing (undefined
   * when the next call draws a pair): with the uniform source's position, what resumes the stream.
   */
  get spare(): number | undefined {
    return this.#hasSpare ? this.#spare : undefined;
  }

  set spare(value: number | undefined) {
    this.#hasSpare = value !== undefined;
    this.#spare = value ?? 0;
  }

  next(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    // 1 - u is in (0, 1], so the log is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.#uniform()));
    const angle = 2 * Math.PI * this.#uniform();
    this.#spare = radius * Math.sin(angle);
    this.#hasSpare = true;
    return radius * Math.cos(angle);
  }
}

/** A uniform integer in [0, n) from a uniform double in [0, 1). */
export function uniformIndex(uniform: UniformSource, n: number): number {
  return Math.floor(uniform() * n);
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace(values: Int32Array, uniform: UniformSource): Int32Array {
  for (let i = values.length - 1; i > 0; --i) {
    const j = uniformIndex(uniform, i + 1);
    const swap = values[i]!;
    values[i] = values[j]!;
    values[j] = swap;
  }
  return values;
}
