/**
 * DARTS as the size-search baseline (methods.md B §4, C §3): soft selection over the candidate
 * sizes with free architecture logits, softmax-mixed (no noise, no temperature), trained
 * first-order, and the argmax taken at the end.
 *
 * Per id, on the rating streams ("binary", "multiclass"), as the ESAPN repo's baseline:
 *
 *   α ∈ R^{N×M} per side, all equal at the start
 *   for each batch t of the stream:
 *     if t > 0:   w = softmax(α[ids of batch t−1]);  L(batch t−1) → ∇α;  α's Adam (1e-4, rows of batch t−1 only)
 *     w = softmax(α[ids of batch t])  (constants);  score batch t (prequential);  L(batch t) → ∇W;  Adam
 *   plan: d_i = d_{argmax α_i}
 *
 * Per field, on CTR data ("ctr"): α ∈ R^{F×M} over a GumbelMixture in "softmax" mode feeding a
 * DeepFM head, α on validation batches and the weights on training batches (darts_per_field.ts).
 *
 * The search itself is not budget-bounded: it holds every candidate for every id from the first
 * batch to the last, and only the returned plan is held to a budget (search() steps the least
 * frequent ids down afterwards until the plan fits, budget.ts). Every candidate of an id is a
 * prefix of one d_M-wide row, per id and per field alike, so the search holds the whole table at
 * d_max: 128 floats an id for {2, 4, 8, 16, 64, 128}, four times a budget of ratio 0.25 (the
 * reference's separate blocks hold Σ d_m = 222 floats an id, 222/128 of the full table).
 * result.peakSearchBytes reports it; α steers the search and is not an embedding row, so it is
 * left out (per id: M floats an id, with its Adam moments). Under a hard memory cap while
 * training, use SCALL, or ESAPN, whose table is held to the budget at every batch.
 *
 * Settings: soft_search.ts's on rating streams plus alphaLearningRate (1e-4); darts_per_field.ts's
 * on CTR data. Both checkpoint per batch (see those files).
 */
import { nestSnapshots, snapshotPart } from "../../training/state_snapshot.js";
import type { SearchContext, SearchMethodDefinition } from "../search_context.js";
import { numberSetting } from "../settings.js";
import { runSoftRatingSearch, softSearchSettings, type PlanningSelector, type SoftSelectorSetup } from "../soft_selection/soft_search.js";
import type { StreamBatch } from "../soft_selection/soft_stream.js";
import { DartsController } from "./darts_controller.js";
import { dartsPerFieldSettings, runDartsPerField } from "./darts_per_field.js";

/** α of users and items as the stream loop's selector. */
export function dartsSelector(setup: SoftSelectorSetup): PlanningSelector & { users: DartsController; items: DartsController } {
  const learningRate = numberSetting(setup.settings, "alphaLearningRate", 1e-4, { min: 0, exclusiveMin: true });
  const common = { candidates: setup.candidates, learningRate, device: setup.device };
  const users = new DartsController({ ...common, numIds: setup.numUsers });
  const items = new DartsController({ ...common, numIds: setup.numItems });
  return {
    users,
    items,
    weights: (batch: StreamBatch) => ({ users: users.weights(batch.users), items: items.weights(batch.items) }),
    step: () => {
      users.step();
      items.step();
    },
    observe: () => {},
    bytes: () => users.bytes() + items.bytes(),
    sizes: () => ({ users: users.sizes(), items: items.sizes() }),
    snapshot: () => nestSnapshots({ users: users.snapshot(), items: items.snapshot() }),
    restore: (snapshot) => {
      users.restore(snapshotPart(snapshot, "users"));
      items.restore(snapshotPart(snapshot, "items"));
    },
  };
}

export function runDarts(context: SearchContext) {
  return context.task === "ctr" ? runDartsPerField(context) : runSoftRatingSearch(context, dartsSelector);
}

export const dartsMethod: SearchMethodDefinition = {
  defaultCandidates: [2, 4, 8, 16, 64, 128],
  tasks: ["binary", "multiclass", "ctr"],
  settings: [
    ...softSearchSettings,
    { name: "alphaLearningRate", type: { kind: "number", min: 0, max: Infinity, exclusiveMin: true }, default: 1e-4,
      doc: "α's Adam learning rate", tasks: ["binary", "multiclass"] },
    ...dartsPerFieldSettings,
  ],
  run: runDarts,
};
