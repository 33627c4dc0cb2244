/**
 * Embedding lookup on the tape: the output is the store's padded rows, and the backward hands
 * dL/d(rows) with the ids to the store's parameter (a row-sparse gradient, never a dense one).
 */
import type { EmbeddingParameter } from "../../modules/embedding_parameter.js";
import type { Tensor } from "../../tensor.js";
import { record } from "../tape.js";
import type { Variable } from "../variable.js";

export function embeddingLookup(parameter: EmbeddingParameter, ids: Tensor<"int32">): Variable {
  const rows = parameter.store.lookup(ids);
  return record("embeddingLookup", [], rows, (gradRows) => {
    parameter.accumulate(ids, gradRows);
    return [];
  }, true);
}
