/**
 * A ratings dataset seen as CTR data: the user and the item are two categorical fields, and a
 * click is a rating above 3.5 (the binary label). This is how per-field methods (AutoDim, DARTS
 * per field, MDE over fields) run on MovieLens, which has no other categorical features here.
 */
import type { RatingsDataset } from "./dataset.js";
import { binaryLabels } from "./labels.js";
import type { CategoricalFields } from "./synthetic.js";

export function ratingFields(data: RatingsDataset): CategoricalFields {
  const n = data.users.length;
  const values = new Int32Array(2 * n);
  for (let r = 0; r < n; ++r) {
    values[2 * r] = data.users[r]!;
    values[2 * r + 1] = data.items[r]!;
  }
  return { numFields: 2, cardinalities: Int32Array.of(data.numUsers, data.numItems), values, clicks: binaryLabels(data.ratings) };
}
