/**
 * SCALL's stream (methods.md D §1): the data set's rows in stream order with users and items
 * renumbered by first appearance, so that the ids seen by any point of the stream are a prefix
 * and each segment's table grows at its end, as the reference's re-indexing does.
 *
 * The order (settings.order) is the one thing decided before the stream is cut into segments:
 * - "time" (the reference): by timestamp, ties in file order. New ids arrive as they did, and
 *   each segment's frequencies drift from the last one's: what SCALL's resizing is meant for.
 * - "shuffle": one random permutation of the rows, seeded by the run's seed: streamSplit's
 *   (ESAPN's order "shuffle"), the same permutation for the same seed. Each segment is then a
 *   random sample of the ratings, with no drift between segments: a control that shows how much
 *   of SCALL's figures come from following the drift.
 *
 * The renumbered data set's timestamps are the stream positions 0..n−1: scallSegments puts rows
 * in time order, and with these it keeps the stream's own order, shuffled or not.
 */
import type { RatingsDataset } from "../../data/dataset.js";
import { firstAppearance } from "../../data/first_appearance.js";
import { streamSplit } from "../../data/splits.js";
import { takeRows } from "../../data/take_rows.js";

export type StreamOrder = "time" | "shuffle";

/** The rows in stream order with ids renumbered by first appearance; userOf/itemOf give the old id. */
export interface StreamData {
  dataset: RatingsDataset;
  userOf: Int32Array;
  itemOf: Int32Array;
}

export function renumberedStream(data: RatingsDataset, order: StreamOrder, seed: number): StreamData {
  const rowAt = streamSplit(data, { order, seed }).order;
  // Row k of the stream is row rowAt[k] of the data; ids that never occur come last (smallest sizes in the plan).
  const renumber = (ids: Int32Array, count: number) => {
    const numbering = firstAppearance(ids, rowAt, count);
    return { rows: takeRows(numbering.renumbered, rowAt), oldOf: numbering.originalOf };
  };
  const users = renumber(data.users, data.numUsers);
  const items = renumber(data.items, data.numItems);
  const dataset: RatingsDataset = {
    users: users.rows, items: items.rows,
    ratings: Float32Array.from(rowAt, (r) => data.ratings[r]!),
    timestamps: Float64Array.from(rowAt, (_, k) => k),
    numUsers: data.numUsers, numItems: data.numItems,
    userIds: Float64Array.from(users.oldOf, (u) => data.userIds[u]!),
    itemIds: Float64Array.from(items.oldOf, (i) => data.itemIds[i]!),
  };
  return { dataset, userOf: users.oldOf, itemOf: items.oldOf };
}
