/**
 * SCALL's stream (methods.md D §1): the data set's rows in time order with users and items
 * renumbered by first appearance, so that the ids seen by any point of the stream are a prefix
 * and each segment's table grows at its end, as the reference's re-indexing does.
 */
import type { RatingsDataset } from "../../data/dataset.js";
import { timeOrder } from "../../data/time_order.js";

/** The rows in time order with ids renumbered by first appearance; userOf/itemOf give the old id. */
export interface StreamData {
  dataset: RatingsDataset;
  userOf: Int32Array;
  itemOf: Int32Array;
}

export function firstAppearance(data: RatingsDataset): StreamData {
  const order = timeOrder(data.timestamps);
  const n = order.length;
  const renumber = (ids: Int32Array, count: number) => {
    const newOf = new Int32Array(count).fill(-1);
    const oldOf = new Int32Array(count);
    const rows = new Int32Array(n);
    let next = 0;
    for (let k = 0; k < n; ++k) {
      const old = ids[order[k]!]!;
      if (newOf[old] === -1) {
        newOf[old] = next;
        oldOf[next++] = old;
      }
      rows[k] = newOf[old]!;
    }
    // Ids that never occur come last: they are in the plan, with the smallest sizes.
    for (let old = 0; old < count; ++old) if (newOf[old] === -1) oldOf[next++] = old;
    return { rows, oldOf };
  };
  const users = renumber(data.users, data.numUsers);
  const items = renumber(data.items, data.numItems);
  const dataset: RatingsDataset = {
    users: users.rows, items: items.rows,
    ratings: Float32Array.from(order, (r) => data.ratings[r]!),
    timestamps: Float64Array.from(order, (r) => data.timestamps[r]!),
    numUsers: data.numUsers, numItems: data.numItems,
    userIds: Float64Array.from(users.oldOf, (u) => data.userIds[u]!),
    itemIds: Float64Array.from(items.oldOf, (i) => data.itemIds[i]!),
  };
  return { dataset, userOf: users.oldOf, itemOf: items.oldOf };
}
