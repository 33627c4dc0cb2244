/**
 * A stream with a planted size signal (issue #14): frequent users whose true preference vectors
 * need 16 dimensions, and rare users whose vectors lie in 2. Every item has a 16-dimensional
 * vector; a rating is 1 when ⟨u, v⟩ > 0 (after a little Gaussian noise), else 0. So enlarging a
 * frequent user towards 16 can lower its loss, and enlarging a rare user cannot: its preferences
 * are already in two dimensions. The rows come in random order (the stream's time).
 */
import { mulberry32 } from "../../data/random.js";

export interface PlantedStreamOptions {
  /** Users whose preferences need 16 dimensions. Default 100. */
  frequentUsers?: number;
  /** Ratings per frequent user. Default 300. */
  ratingsPerFrequentUser?: number;
  /** Users whose preferences need 2 dimensions. Default 2000. */
  rareUsers?: number;
  /** Ratings per rare user. Default 3. */
  ratingsPerRareUser?: number;
  /** Default 32. */
  items?: number;
  /** Standard deviation of the noise added to ⟨u, v⟩ / √(its dimension) before the sign. Default 0.1. */
  noise?: number;
  seed?: number;
}

export interface PlantedStream {
  /** Per row, in stream order: the user, the item, the label. Users 0..frequentUsers−1 are the frequent ones. */
  users: Int32Array;
  items: Int32Array;
  labels: Float32Array;
  numUsers: number;
  numItems: number;
  frequentUsers: number;
  /** The ratings each frequent user has, and each rare one: a user seen more often than the rare ones is a frequent one. */
  ratingsPerFrequentUser: number;
  ratingsPerRareUser: number;
  /** The noiseless label of every (user, item) pair, user-major: the planted preferences. */
  preferences: Uint8Array;
}

/** The dimension frequent users' preferences need, and rare users'. */
export const plantedDimensions = { frequent: 16, rare: 2 } as const;

export function plantedStream(options: PlantedStreamOptions = {}): PlantedStream {
  const { frequentUsers = 100, ratingsPerFrequentUser = 300, rareUsers = 2000, ratingsPerRareUser = 3, items = 32,
          noise = 0.1, seed = 7 } = options;
  const random = mulberry32(seed);
  // Box–Muller; the 1e-12 floor keeps log finite.
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  const width = plantedDimensions.frequent;
  const numUsers = frequentUsers + rareUsers;
  const userVectors = Array.from({ length: numUsers }, (_, u) => {
    const used = u < frequentUsers ? width : plantedDimensions.rare;
    return Float64Array.from({ length: width }, (_, j) => (j < used ? gauss() : 0));
  });
  const itemVectors = Array.from({ length: items }, () => Float64Array.from({ length: width }, gauss));
  const affinity = (u: number, i: number) => {
    let sum = 0;
    for (let j = 0; j < width; ++j) sum += userVectors[u]![j]! * itemVectors[i]![j]!;
    return sum / Math.sqrt(u < frequentUsers ? width : plantedDimensions.rare);
  };
  const rows: [number, number][] = [];
  for (let u = 0; u < numUsers; ++u) {
    const count = u < frequentUsers ? ratingsPerFrequentUser : ratingsPerRareUser;
    for (let k = 0; k < count; ++k) rows.push([u, Math.floor(random() * items)]);
  }
  for (let r = rows.length - 1; r > 0; --r) {
    const j = Math.floor(random() * (r + 1));
    [rows[r], rows[j]] = [rows[j]!, rows[r]!];
  }
  const preferences = new Uint8Array(numUsers * items);
  for (let u = 0; u < numUsers; ++u) for (let i = 0; i < items; ++i) preferences[u * items + i] = affinity(u, i) > 0 ? 1 : 0;
  return {
    users: Int32Array.from(rows, ([u]) => u), items: Int32Array.from(rows, ([, i]) => i),
    labels: Float32Array.from(rows, ([u, i]) => (affinity(u, i) + noise * gauss() > 0 ? 1 : 0)),
    numUsers, numItems: items, frequentUsers, ratingsPerFrequentUser, ratingsPerRareUser, preferences,
  };
}
