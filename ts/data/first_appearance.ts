/**
 * Ids numbered in the order a stream first shows them: a table that grows as ids arrive holds
 * exactly the ids seen so far when id k is the k-th new one (ESAPN's live table, SCALL's segments).
 */

export interface FirstAppearance {
  /** Each row's id, renumbered (rows outside `order` keep −1). */
  renumbered: Int32Array;
  /** The original id of each new number; ids the order never shows come last. */
  originalOf: Int32Array;
  /** How many distinct ids the order shows. */
  seen: number;
}

/** Renumbers ids[r] (each in [0, count)) by first appearance along `order`, a list of row indices. */
export function firstAppearance(ids: Int32Array, order: Int32Array, count: number): FirstAppearance {
  const numberOf = new Int32Array(count).fill(-1);
  const originalOf = new Int32Array(count);
  const renumbered = new Int32Array(ids.length).fill(-1);
  let next = 0;
  for (let k = 0; k < order.length; ++k) {
    const row = order[k]!;
    const id = ids[row]!;
    if (numberOf[id] === -1) {
      numberOf[id] = next;
      originalOf[next++] = id;
    }
    renumbered[row] = numberOf[id]!;
  }
  const seen = next;
  for (let id = 0; id < count; ++id) if (numberOf[id] === -1) originalOf[next++] = id;
  return { renumbered, originalOf, seen };
}
