/**
 * A store's rows (or a part of its optimizer state) as one flat array with each id's row at its
 * own size, in id order: how checkpoints and exports hold a mixed-dimension table.
 */
import type { EmbeddingStore, StoreField } from "../embedding_store.js";

/** Row state (row-wise Adagrad) has one value per row; every other field has the row's size. */
function widths(store: EmbeddingStore, field: StoreField): Int32Array {
  const sizes = store.sizes();
  return field === "rowState" ? sizes.fill(1) : sizes;
}

export function packStoreField(store: EmbeddingStore, field: StoreField = "weights"): Float32Array {
  const sizes = widths(store, field);
  const ids = Int32Array.from({ length: sizes.length }, (_, i) => i);
  const padded = store.readRows(ids, field);
  const packed = new Float32Array(sizes.reduce((n, d) => n + d, 0));
  let offset = 0;
  sizes.forEach((size, id) => {
    packed.set(padded.subarray(id * store.maxDim, id * store.maxDim + size), offset);
    offset += size;
  });
  return packed;
}

/** Writes what packStoreField read back, into a store whose rows already have the same sizes. */
export function unpackStoreField(store: EmbeddingStore, packed: Float32Array, field: StoreField, name: string): void {
  const sizes = widths(store, field);
  const total = sizes.reduce((n, d) => n + d, 0);
  if (packed.length !== total) throw new RangeError(`${name} has ${packed.length} values but the store's rows need ${total}`);
  const ids = Int32Array.from({ length: sizes.length }, (_, i) => i);
  const padded = new Float32Array(sizes.length * store.maxDim);
  let offset = 0;
  sizes.forEach((size, id) => {
    padded.set(packed.subarray(offset, offset + size), id * store.maxDim);
    offset += size;
  });
  store.writeRows(ids, padded, field);
}
