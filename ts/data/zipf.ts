/**
 * Seeded Zipf(s) draws over ids [0, n): P(id = k) = (k + 1)^(-s) / Σ_{j=1..n} j^(-s),
 * so id 0 is the most frequent, id 1 the next, and so on (ids are frequency ranks).
 *
 * Categorical features in recommender logs (users, items, ad ids) follow this law with s
 * near 1, which is why the synthetic data and the benchmarks draw from it.
 *
 * The method is rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-inversion to
 * generate variates from monotone discrete distributions", ACM TOMACS 6(3), 1996), as in
 * Apache Commons RNG's RejectionInversionZipfSampler. It inverts the integral of the
 * continuous hat h(x) = x^(-s) and accepts with probability close to 1, so a draw costs a few
 * log/exp calls with no table: an inverse-CDF table would need O(n) memory and setup
 * (8 MB for n = 1M) before the first draw, and a binary search per draw.
 */
import { mulberry32, type UniformSource } from "./random.js";

export interface ZipfOptions {
  /** Number of ids; draws are in [0, n). At most 2^31 - 1 so they fit an Int32Array. */
  n: number;
  /** The exponent s ≥ 0; 0 is uniform, about 1 is typical of recommender ids. */
  exponent: number;
  /** Seeds the draws; the same seed gives the same ids everywhere. Default 0. */
  seed?: number;
}

// log1p(x) / x, continued to x = 0 by its Taylor series so that s = 1 needs no special case.
function log1pOverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

// expm1(x) / x, likewise continued to x = 0.
function expm1OverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}

export class ZipfSampler {
  readonly n: number;
  readonly exponent: number;
  readonly #uniform: UniformSource;
  // H(1.5) - 1 and H(n + 0.5): the ends of the interval u is drawn from.
  readonly #hIntegralFirst: number;
  readonly #hIntegralLast: number;
  // Draws with k - x at most this are accepted without evaluating H again (the "squeeze").
  readonly #squeeze: number;

  /**
   * @example
   * const zipf = new ZipfSampler({ n: 1 << 20, exponent: 1.05, seed: 7 });
   * const ids = zipf.sample(65_536);   // Int32Array; id 0 is the hottest
   */
  constructor(options: ZipfOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const { n, exponent, seed = 0 } = options;
    if (!Number.isInteger(n) || n < 1 || n > 0x7fffffff) {
      throw new RangeError(`n = ${n} must be an integer in [1, 2147483647]`);
    }
    if (typeof exponent !== "number" || !Number.isFinite(exponent) || exponent < 0) {
      throw new RangeError(`exponent = ${exponent} must be a finite number ≥ 0`);
    }
    this.n = n;
    this.exponent = exponent;
    this.#uniform = mulberry32(seed);
    this.#hIntegralFirst = this.hIntegral(1.5) - 1;
    this.#hIntegralLast = this.hIntegral(n + 0.5);
    this.#squeeze = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /** One draw in [0, n). */
  next(): number {
    for (;;) {
      // u is uniform in (H(1.5) - 1, H(n + 0.5)]; H is decreasing, so this is the hat's inverse CDF.
      const u = this.#hIntegralLast + this.#uniform() * (this.#hIntegralFirst - this.#hIntegralLast);
      const x = this.hIntegralInverse(u);
      const rank = Math.min(Math.max(Math.round(x), 1), this.n);
      if (rank - x <= this.#squeeze || u >= this.hIntegral(rank + 0.5) - this.h(rank)) return rank - 1;
    }
  }

  /** `count` draws, into `out` when given (its length is the count). */
  sample(count: number, out?: Int32Array): Int32Array {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`count = ${count} must be a non-negative integer`);
    const draws = out ?? new Int32Array(count);
    if (draws.length !== count) throw new RangeError(`out has length ${draws.length} but count is ${count}`);
    for (let i = 0; i < count; ++i) draws[i] = this.next();
    return draws;
  }

  // The hat: h(x) = x^(-s), which bounds P(rank = k) ∝ k^(-s) on [k - 1/2, k + 1/2].
  private h(x: number): number {
    return Math.exp(-this.exponent * Math.log(x));
  }

  // H(x) = ∫_1^x h = (x^(1-s) - 1) / (1 - s), written so that it stays exact as s → 1 (log x).
  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return expm1OverX((1 - this.exponent) * logX) * logX;
  }

  // H⁻¹(y) = (1 + (1 - s)·y)^(1/(1-s)), clamped at its pole for s > 1.
  private hIntegralInverse(y: number): number {
    const t = Math.max(y * (1 - this.exponent), -1);
    return Math.exp(log1pOverX(t) * y);
  }
}
