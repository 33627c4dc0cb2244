/**
 * ESAPN's enlarge (methods.md A2, B §1): a row e at d_k becomes W_k·e + b_k at d_{k+1}, the
 * chain's link. The chain from d_{k+1} applied to the new row equals the chain from d_k applied
 * to the old one, so everything after the chain sees the same values; the old row's slot is freed,
 * so the table only ever holds each id's current size.
 */
import { int32Array } from "../../arguments.js";
import type { MixedDimEmbedding } from "../../modules/mixed_dim_embedding.js";
import type { ProjectionChain } from "../../modules/projection_chain.js";
import { Tensor } from "../../tensor.js";

/**
 * Grows each listed id one candidate (ids at the largest stay). `sizes` may give the ids' current
 * sizes when the caller has them. Ids must be distinct. Returns the ids' new sizes.
 */
export function enlargeRows(embedding: MixedDimEmbedding, chain: ProjectionChain, ids: Int32Array | readonly number[],
                            sizes?: Int32Array): Int32Array {
  const idArray = int32Array(ids, "ids");
  const candidates = embedding.store.candidates;
  const from = sizes ?? sizesOf(embedding, idArray);
  if (from.length !== idArray.length) throw new RangeError(`sizes has length ${from.length} but ids has ${idArray.length}`);
  const to = new Int32Array(idArray.length);
  for (let b = 0; b < idArray.length; ++b) {
    const k = candidates.indexOf(from[b]!);
    to[b] = candidates[Math.min(k + 1, candidates.length - 1)]!;
  }
  if (idArray.length === 0) return to;
  const store = embedding.store;
  // The rows are read where the store keeps them: a CUDA store takes its ids on the device.
  store.resize(idArray, to, chain.link(store.lookup(Tensor.from(idArray, { device: store.device })), from));
  return to;
}

function sizesOf(embedding: MixedDimEmbedding, ids: Int32Array): Int32Array {
  const all = embedding.sizes();
  const sizes = new Int32Array(ids.length);
  for (let b = 0; b < ids.length; ++b) {
    const id = ids[b]!;
    if (id < 0 || id >= all.length) throw new RangeError(`ids[${b}] = ${id} is out of range [0, ${all.length})`);
    sizes[b] = all[id]!;
  }
  return sizes;
}
