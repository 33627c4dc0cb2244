/**
 * The synthetic data set: the embedded default, and the scale benchmark (methods.md A4).
 *
 * Model, per rating r (all draws seeded, each kind from its own stream; see seeds.ts):
 *   u ~ Zipf(s) over numUsers, i ~ Zipf(s) over numItems      (rank k has weight (k+1)^-s)
 *   p(u, i) = b_u + b_i + U_u · V_i                           (low-rank ground truth)
 *   rating  = clamp(round(2 (μ + p(u, i) + σ ε)) / 2, 0.5, 5)  (half stars; ε ~ N(0, 1))
 *   time    = previous time + floor(Exp(meanInterval))         (non-decreasing integer seconds)
 * with b_u ~ N(0, 0.45²), b_i ~ N(0, 0.5²), U and V entries of variance 0.6/√rank so that
 * std(U_u·V_i) = 0.6, μ = 3.7 and σ = 0.6: ratings then average about 3.66 with a standard
 * deviation about 0.98 (ml-20m: 3.53 and 1.05), 49% rate above 3.5 (ml-20m: 50%), every
 * 5-class label has at least 1% of the rows, and both labels depend on (u, i) in a way
 * embeddings can learn (about 60% of the variance before rounding is in p(u, i)).
 *
 * Optional categorical fields for CTR-style data (AutoDim, DARTS per field, MDE): field f takes
 * values v_f ~ Zipf(s) over its cardinality, and the click is Bernoulli(sigmoid(z)) with
 *   z = −1.2 + p(u, i)/std(p) + Σ_f w_f[v_f] + Σ_{f<g} a_f[v_f] · a_g[v_g]
 * (a logistic model with first-order and factorised pairwise terms, as an FM would fit; the
 * w and a are Gaussian, scaled so that each sum over fields has variance 1/2). About 30% of
 * rows are clicks.
 *
 * Memory: the returned arrays (20 bytes a rating, plus 4(F + 1) with F fields) and the model's
 * parameters, (numUsers + numItems)(rank + 1) floats plus (1 + 4) floats per field value.
 * 20M ratings on ml-20m's shape (138,493 users, 26,744 items) take about 0.4 GB.
 *
 * Original ids are Zipf ranks plus one (1-based, as in MovieLens): original id k is the k-th
 * most frequent by construction. Dense ids are given in order of first appearance, as the
 * loaders give them, so writing the data out (synthetic_csv.ts) and loading it back gives the
 * same data set.
 */
import { IdRemapper, type RatingsDataset } from "./dataset.js";
import { integerInRange, numberInRange, optionsObject } from "../arguments.js";
import type { UniformSource } from "./random.js";
import { deriveSeed, GaussianSource, uniformStream } from "./seeds.js";
import { ZipfSampler } from "./zipf.js";

export interface SyntheticOptions {
  numUsers: number;
  numItems: number;
  numRatings: number;
  /** Rank of the ground-truth preference (default 8). */
  rank?: number;
  /** Zipf exponent of user, item and field-value frequencies (default 1). */
  zipfExponent?: number;
  /** Standard deviation of the rating noise before rounding to half stars (default 0.6). */
  noise?: number;
  /** Time of the first rating, Unix seconds (default 1e9, September 2001). */
  startTime?: number;
  /** Mean seconds between ratings (default 30). */
  meanInterval?: number;
  /** Number of categorical fields (default: fieldCardinalities' length, or 0). */
  numFields?: number;
  /** Cardinality of each field (default 10, 100, 1000, 10000, 10, … for numFields fields). */
  fieldCardinalities?: readonly number[];
  /** Seeds everything (default 0). The same seed gives the same data set everywhere. */
  seed?: number;
}

export interface CategoricalFields {
  readonly numFields: number;
  readonly cardinalities: Int32Array;
  /** Row-major [numRatings, numFields]: values[r · numFields + f] in [0, cardinalities[f]). */
  readonly values: Int32Array;
  /** 1 for a click, 0 otherwise, per rating. */
  readonly clicks: Float32Array;
}

export interface SyntheticDataset extends RatingsDataset {
  /** Present when fields were asked for. */
  readonly fields?: CategoricalFields;
}

/**
 * Draws a synthetic data set.
 *
 * @example
 * const data = generateSynthetic({ numUsers: 138_493, numItems: 26_744, numRatings: 20_000_000 });
 * const ctr = generateSynthetic({ numUsers: 1000, numItems: 500, numRatings: 1e5, numFields: 8, seed: 3 });
 */
export function generateSynthetic(options: SyntheticOptions): SyntheticDataset {
  const model = new SyntheticModel(options);
  const n = model.numRatings;
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const ratings = new Float32Array(n);
  const timestamps = new Float64Array(n);
  const numFields = model.numFields;
  const values = numFields > 0 ? new Int32Array(n * numFields) : undefined;
  const clicks = numFields > 0 ? new Float32Array(n) : undefined;
  model.draw(users, items, ratings, timestamps, values, clicks);

  // Original ids (ranks + 1) → dense ids in order of first appearance, in place.
  const userMap = new IdRemapper();
  const itemMap = new IdRemapper();
  for (let r = 0; r < n; ++r) {
    users[r] = userMap.dense(users[r]!);
    items[r] = itemMap.dense(items[r]!);
  }
  const dataset: SyntheticDataset = {
    users, items, ratings, timestamps,
    numUsers: userMap.count,
    numItems: itemMap.count,
    userIds: userMap.originalIds(),
    itemIds: itemMap.originalIds(),
  };
  if (values === undefined || clicks === undefined) return dataset;
  return { ...dataset, fields: { numFields, cardinalities: model.fieldCardinalities.slice(), values, clicks } };
}

// Streams of seeds.ts, one per kind of draw.
const streams = {
  users: 1, items: 2, parameters: 3, noise: 4, gaps: 5, fieldParameters: 6, clicks: 7, fieldValues: 10,
} as const;

const globalMean = 3.7;
const userBiasStd = 0.45;
const itemBiasStd = 0.5;
const interactionStd = 0.6;
const preferenceStd = Math.hypot(userBiasStd, itemBiasStd, interactionStd);
const clickBias = -1.2;
const fieldFactorRank = 4;

/**
 * The generative model and its draw streams. `draw` continues where the last call stopped, so
 * drawing in chunks gives the same rows as drawing all at once.
 * @internal
 */
export class SyntheticModel {
  readonly numUsers: number;
  readonly numItems: number;
  readonly numRatings: number;
  readonly rank: number;
  readonly numFields: number;
  readonly fieldCardinalities: Int32Array;
  readonly #noiseStd: number;
  readonly #meanInterval: number;
  #time: number;
  readonly #userSampler: ZipfSampler;
  readonly #itemSampler: ZipfSampler;
  readonly #noise: GaussianSource;
  readonly #gaps: UniformSource;
  readonly #userBias: Float32Array;
  readonly #itemBias: Float32Array;
  readonly #userFactors: Float32Array;
  readonly #itemFactors: Float32Array;
  readonly #fieldSamplers: ZipfSampler[] = [];
  // Per field value: its weight w_f[v], and its pairwise factors a_f[v] (fieldFactorRank each),
  // at offsets fieldOffsets[f] + v.
  readonly #fieldOffsets: Int32Array;
  readonly #fieldWeights: Float32Array;
  readonly #fieldFactors: Float32Array;
  readonly #clickUniform: UniformSource;

  constructor(options: SyntheticOptions) {
    const opts = optionsObject(options);
    this.numUsers = integerInRange(opts.numUsers, "numUsers", 1, 0x7ffffffe);
    this.numItems = integerInRange(opts.numItems, "numItems", 1, 0x7ffffffe);
    this.numRatings = integerInRange(opts.numRatings, "numRatings", 0, 0x7fffffff);
    this.rank = integerInRange(opts.rank ?? 8, "rank", 1, 1024);
    const exponent = numberInRange(opts.zipfExponent ?? 1, "zipfExponent", 0, 10);
    this.#noiseStd = numberInRange(opts.noise ?? 0.6, "noise", 0, 100);
    this.#time = numberInRange(opts.startTime ?? 1e9, "startTime", -8.64e15, 8.64e15);
    this.#meanInterval = numberInRange(opts.meanInterval ?? 30, "meanInterval", 0, 1e12);
    const seed = integerInRange(opts.seed ?? 0, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    this.fieldCardinalities = fieldCardinalities(opts.numFields, opts.fieldCardinalities);
    this.numFields = this.fieldCardinalities.length;
    if (this.numFields > 0 && this.numRatings * this.numFields > 0x7fffffff) {
      throw new RangeError(`numRatings × numFields = ${this.numRatings * this.numFields} exceeds an Int32Array's 2^31 − 1`);
    }

    this.#userSampler = new ZipfSampler({ n: this.numUsers, exponent, seed: deriveSeed(seed, streams.users) });
    this.#itemSampler = new ZipfSampler({ n: this.numItems, exponent, seed: deriveSeed(seed, streams.items) });
    this.#noise = new GaussianSource(uniformStream(seed, streams.noise));
    this.#gaps = uniformStream(seed, streams.gaps);
    const parameters = new GaussianSource(uniformStream(seed, streams.parameters));
    const factorStd = Math.sqrt(interactionStd / Math.sqrt(this.rank));
    this.#userBias = gaussians(parameters, this.numUsers, userBiasStd);
    this.#itemBias = gaussians(parameters, this.numItems, itemBiasStd);
    this.#userFactors = gaussians(parameters, this.numUsers * this.rank, factorStd);
    this.#itemFactors = gaussians(parameters, this.numItems * this.rank, factorStd);

    // Fields: first-order weights with total variance 1/2, pairwise terms likewise.
    const numFields = this.numFields;
    this.#fieldOffsets = new Int32Array(numFields + 1);
    for (let f = 0; f < numFields; ++f) {
      this.#fieldOffsets[f + 1] = this.#fieldOffsets[f]! + this.fieldCardinalities[f]!;
      this.#fieldSamplers.push(new ZipfSampler({
        n: this.fieldCardinalities[f]!, exponent, seed: deriveSeed(seed, streams.fieldValues + f),
      }));
    }
    const totalValues = this.#fieldOffsets[numFields]!;
    const fieldParameters = new GaussianSource(uniformStream(seed, streams.fieldParameters));
    const pairs = Math.max(1, (numFields * (numFields - 1)) / 2);
    this.#fieldWeights = gaussians(fieldParameters, totalValues, Math.sqrt(0.5 / Math.max(1, numFields)));
    this.#fieldFactors = gaussians(fieldParameters, totalValues * fieldFactorRank,
                                   Math.sqrt(Math.sqrt(0.5 / (fieldFactorRank * pairs))));
    this.#clickUniform = uniformStream(seed, streams.clicks);
  }

  /**
   * Draws the next users.length ratings: original user and item ids (1-based ranks), ratings,
   * times, and, when the model has fields, field values and clicks.
   */
  draw(users: Int32Array, items: Int32Array, ratings: Float32Array, timestamps: Float64Array,
       fieldValues?: Int32Array, clicks?: Float32Array): void {
    const count = users.length;
    const rank = this.rank;
    const numFields = this.numFields;
    const userFactors = this.#userFactors;
    const itemFactors = this.#itemFactors;
    const sum = new Float64Array(fieldFactorRank);
    for (let r = 0; r < count; ++r) {
      const u = this.#userSampler.next();
      const i = this.#itemSampler.next();
      let dot = 0;
      for (let k = 0, uo = u * rank, io = i * rank; k < rank; ++k) dot += userFactors[uo + k]! * itemFactors[io + k]!;
      const preference = this.#userBias[u]! + this.#itemBias[i]! + dot;
      const stars = Math.round(2 * (globalMean + preference + this.#noiseStd * this.#noise.next())) / 2;
      users[r] = u + 1;
      items[r] = i + 1;
      ratings[r] = stars < 0.5 ? 0.5 : stars > 5 ? 5 : stars;
      timestamps[r] = this.#time;
      this.#time += Math.floor(-Math.log(1 - this.#gaps()) * this.#meanInterval);

      if (numFields === 0 || fieldValues === undefined || clicks === undefined) continue;
      // z = bias + p/std(p) + Σ w + Σ_{f<g} a_f·a_g, the pairwise sum as (|Σ a|² − Σ |a|²)/2.
      let z = clickBias + preference / preferenceStd;
      let squares = 0;
      sum.fill(0);
      for (let f = 0; f < numFields; ++f) {
        const value = this.#fieldSamplers[f]!.next();
        fieldValues[r * numFields + f] = value;
        const slot = this.#fieldOffsets[f]! + value;
        z += this.#fieldWeights[slot]!;
        for (let k = 0; k < fieldFactorRank; ++k) {
          const a = this.#fieldFactors[slot * fieldFactorRank + k]!;
          sum[k]! += a;
          squares += a * a;
        }
      }
      let sumSquared = 0;
      for (let k = 0; k < fieldFactorRank; ++k) sumSquared += sum[k]! * sum[k]!;
      z += 0.5 * (sumSquared - squares);
      clicks[r] = this.#clickUniform() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
  }
}

function fieldCardinalities(numFields: number | undefined, given: readonly number[] | undefined): Int32Array {
  if (given !== undefined) {
    if (!Array.isArray(given) && !ArrayBuffer.isView(given)) throw new TypeError("fieldCardinalities must be an array of integers");
    if (numFields !== undefined && numFields !== given.length) {
      throw new RangeError(`numFields = ${numFields} but fieldCardinalities has ${given.length} entries`);
    }
    return Int32Array.from(given, (c, f) => integerInRange(c, `fieldCardinalities[${f}]`, 1, 0x7fffffff));
  }
  const count = integerInRange(numFields ?? 0, "numFields", 0, 1024);
  return Int32Array.from({ length: count }, (_, f) => 10 ** (1 + (f % 4)));
}

function gaussians(source: GaussianSource, count: number, std: number): Float32Array {
  const values = new Float32Array(count);
  for (let k = 0; k < count; ++k) values[k] = std * source.next();
  return values;
}
