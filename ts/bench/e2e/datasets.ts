/**
 * The end-to-end benchmark's data sets, by name, and the two protocols of methods.md B §3 as
 * ways to order one data set's stream.
 *
 * - "ml-100k", "ml-latest-small": the MovieLens files in ../shared/data (a run is skipped when
 *   its file is absent).
 * - "synthetic-ml20m": ml-20m's shape (138,493 users, 26,744 items to draw from) with power-law
 *   popularity. Zipf exponent 0.6 rather than the generator's 1: with 1 the most popular item
 *   would take 9% of all ratings (ml-20m's takes 0.3%) and a third of the users would never
 *   occur in 1M ratings; with 0.6, 1M ratings touch 136,011 users and every item.
 * - "synthetic-ctr": a multi-field CTR set (8 categorical fields of 10 to 10,000 values and
 *   Bernoulli clicks from a logistic model with pairwise terms; synthetic.ts).
 *
 * Protocols: "time" orders the stream by timestamp (mixdim's default); "shuffle" is the ESAPN
 * reference's random order (its train_test_split with random_state=0). The shuffle is applied
 * to the data rather than asked of each method: the rows get a seeded random permutation as
 * their timestamps, so every method's time-ordered split (the rating streams, SCALL's segments,
 * LightGCN's train/test cut) sees the same shuffled stream, whichever options the method has.
 * The permutation is the same for every run seed, as the reference's split is: seeds then vary
 * the models, not the data.
 */
import { existsSync } from "node:fs";

import { firstRatings } from "../../cli/data_source.js";
import { loadRatings } from "../../data/load_ratings.js";
import { shuffleInPlace, uniformStream } from "../../data/seeds.js";
import { generateSynthetic } from "../../data/synthetic.js";
import { sortByTime } from "../../data/time_order.js";
import type { SearchData } from "../../search/search_types.js";
import { movieLensFile, movieLensNames, type MovieLensName } from "../movielens_files.js";


export const datasetNames = ["ml-100k", "ml-latest-small", "synthetic-ml20m", "synthetic-ctr"] as const;
export type DatasetName = (typeof datasetNames)[number];
export type Protocol = "time" | "shuffle";

/** How large the synthetic sets are drawn, and how many rows of any set a run keeps. */
export interface DatasetScale {
  /** Ratings drawn for "synthetic-ml20m". */
  ml20mRatings: number;
  /** Rows drawn for "synthetic-ctr". */
  ctrRows: number;
  /** The first rows in time order that a run keeps (all when undefined). */
  limit?: number;
}

/** ml-20m's users and items (the ids a full-size table would hold). */
export const ml20mShape = { numUsers: 138_493, numItems: 26_744, zipfExponent: 0.6 } as const;
const ctrShape = { numUsers: 5_000, numItems: 2_000, numFields: 8 } as const;
// The data's own seeds, apart from the runs' seeds: every run sees the same synthetic data.
const dataSeeds = { ml20m: 20, ctr: 11, shuffle: 0 } as const;

function movieLensFileOf(dataDirectory: string, name: DatasetName): string | undefined {
  return (movieLensNames as readonly string[]).includes(name) ? movieLensFile(name as MovieLensName, dataDirectory) : undefined;
}

/** Whether the data set can be had here: the synthetic ones always, MovieLens when its file exists. */
export function datasetAvailable(dataDirectory: string, name: DatasetName): boolean {
  const file = movieLensFileOf(dataDirectory, name);
  return file === undefined || existsSync(file);
}

/**
 * The data set's rows in the given protocol's order. Rows are kept in time order with ids
 * renumbered by first appearance (sortByTime) before a limit cuts the stream's head, so a limited
 * set is the start of the stream with tables of the ids it has seen.
 */
export async function loadDataset(dataDirectory: string, name: DatasetName, protocol: Protocol,
                                   scale: DatasetScale): Promise<SearchData> {
  const file = movieLensFileOf(dataDirectory, name);
  let data: SearchData;
  if (file !== undefined) {
    data = sortByTime((await loadRatings(file)).dataset);
  } else if (name === "synthetic-ml20m") {
    data = generateSynthetic({ ...ml20mShape, numRatings: scale.ml20mRatings, seed: dataSeeds.ml20m });
  } else {
    data = generateSynthetic({ ...ctrShape, numRatings: scale.ctrRows, seed: dataSeeds.ctr });
  }
  if (scale.limit !== undefined && scale.limit < data.users.length) data = firstRatings(data, scale.limit);
  return protocol === "time" ? data : shuffledStream(data);
}

/** The data with a seeded random permutation as its timestamps: time order is then a shuffle. */
function shuffledStream(data: SearchData): SearchData {
  const n = data.users.length;
  const order = shuffleInPlace(Int32Array.from({ length: n }, (_, r) => r), uniformStream(dataSeeds.shuffle, 1));
  const timestamps = new Float64Array(n);
  order.forEach((row, position) => { timestamps[row] = position; });
  return { ...data, timestamps };
}
