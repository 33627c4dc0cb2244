/**
 * Where a command's ratings come from: a MovieLens (or CSV) file given with --data, or, with
 * no --data, the embedded synthetic default, so that `npx mixdim demo` runs on a fresh install.
 * The default has categorical fields too, so every task (ctr included) runs on it.
 */
import path from "node:path";

import type { RatingsDataset } from "../data/dataset.js";
import { loadRatings } from "../data/load_ratings.js";
import { generateSynthetic, type SyntheticOptions } from "../data/synthetic.js";
import type { SearchData } from "../search/search_types.js";

/**
 * The embedded default: 40k ratings by 1,000 users of 800 items, Zipf-distributed, with four
 * categorical fields for CTR; FIXED retrains on it in about a second on two cores.
 */
export const defaultSynthetic: Readonly<SyntheticOptions> = Object.freeze({
  numUsers: 1000, numItems: 800, numRatings: 40_000, numFields: 4, seed: 20240,
});

/** What to load: a file (absolute path) or the synthetic default; and at most `limit` ratings. */
export interface DataSpec {
  path: string | null;
  limit: number | null;
}

export interface LoadedData {
  data: SearchData;
  /** e.g. "ml-100k/u.data: 943 users, 1,682 items, 100,000 ratings". */
  description: string;
}

export function dataSpec(file: string | undefined, limit: number | undefined): DataSpec {
  return { path: file === undefined ? null : path.resolve(file), limit: limit ?? null };
}

export async function loadData(spec: DataSpec, signal?: AbortSignal): Promise<LoadedData> {
  let data: SearchData;
  let source: string;
  if (spec.path === null) {
    data = generateSynthetic(defaultSynthetic);
    source = "synthetic default";
  } else {
    data = (await loadRatings(spec.path, signal === undefined ? {} : { signal })).dataset;
    source = path.relative(process.cwd(), spec.path) || spec.path;
  }
  if (spec.limit !== null && spec.limit < data.users.length) data = firstRatings(data, spec.limit);
  const count = (n: number) => n.toLocaleString("en-US");
  return { data, description: `${source}: ${count(data.numUsers)} users, ${count(data.numItems)} items, ` +
                              `${count(data.users.length)} ratings` };
}

/**
 * The first `n` ratings as they were read. Dense ids are given in order of first appearance, so
 * the ids these rows use are a prefix of each table, and the tables shrink to that prefix.
 */
export function firstRatings(data: SearchData, n: number): SearchData {
  const users = data.users.slice(0, n);
  const items = data.items.slice(0, n);
  const numUsers = users.reduce((m, u) => Math.max(m, u + 1), 0);
  const numItems = items.reduce((m, i) => Math.max(m, i + 1), 0);
  const sliced: RatingsDataset = {
    users, items, numUsers, numItems,
    ratings: data.ratings.slice(0, n),
    timestamps: data.timestamps.slice(0, n),
    userIds: data.userIds.slice(0, numUsers),
    itemIds: data.itemIds.slice(0, numItems),
  };
  const fields = data.fields;
  if (fields === undefined) return sliced;
  return { ...sliced, fields: { ...fields, values: fields.values.slice(0, n * fields.numFields), clicks: fields.clicks.slice(0, n) } };
}
