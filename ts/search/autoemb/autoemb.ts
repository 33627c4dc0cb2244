/**
 * AutoEmb (Zhao et al., ICDM'21; methods.md B §4, as the ESAPN repo re-implements it): soft
 * selection over the candidate sizes, with the weights generated from each id's frequency and
 * previous weights by one controller per side, trained DARTS-style on the previous batch.
 *
 *   for each batch t of the stream:
 *     if t > 0:   w_u, w_i ← controllers(f, w_prev) on batch t−1;  L(batch t−1) → ∇ controllers;  Adam (1e-4)
 *     w_u, w_i ← controllers(f, w_prev) on batch t          (constants)
 *     score batch t (prequential), L(batch t) → ∇ recommender;  Adam
 *     w_prev[ids of batch t] ← w_u, w_i
 *   plan: d_i = d_{argmax w_prev(i)}
 *
 * The frequency f of a sample is its id's running count over the whole stream, this sample
 * included; the reference counts the training and test splits separately (test counts restart at
 * 1), which a stream that goes on does not. The previous weights fed to the controller on the
 * previous batch are the ids' stored ones at that time, as in the reference's update_controller.
 *
 * The search itself is not budget-bounded: it holds every candidate for every id from the first
 * batch to the last, and only the returned plan is held to a budget (search() steps the least
 * frequent ids down afterwards until the plan fits, budget.ts). Every candidate of an id is a
 * prefix of one d_M-wide row, so the search holds the whole table at d_max: 128 floats an id for
 * {2, 4, 8, 16, 64, 128}, four times a budget of ratio 0.25 (the reference's separate blocks hold
 * Σ d_m = 222 floats an id, 222/128 of the full table). result.peakSearchBytes reports it; the
 * controllers are networks, not embedding rows, and are left out of it, as are each id's
 * remembered previous weights (M floats an id). Under a hard memory cap while training, use
 * SCALL, or ESAPN, whose table is held to the budget at every batch.
 *
 * Settings: those of soft_search.ts, plus controllerLearningRate (1e-4), frequencyDim (32),
 * controllerHidden (512). Checkpoints are per batch (soft_search.ts).
 */
import { nestSnapshots, snapshotPart } from "../../training/state_snapshot.js";
import type { SearchContext, SearchMethodDefinition } from "../search_context.js";
import { numberSetting } from "../settings.js";
import { runSoftRatingSearch, softSearchSettings, type PlanningSelector, type SoftSelectorSetup } from "../soft_selection/soft_search.js";
import type { StreamBatch } from "../soft_selection/soft_stream.js";
import { AutoEmbController } from "./autoemb_controller.js";

/** The two controllers of a rating stream as the stream loop's selector. */
export function autoEmbSelector(setup: SoftSelectorSetup): PlanningSelector & { users: AutoEmbController; items: AutoEmbController } {
  const { settings } = setup;
  const common = {
    candidates: setup.candidates,
    maxFrequency: setup.maxFrequency,
    frequencyDim: numberSetting(settings, "frequencyDim", 32, { min: 1, max: 65536, integer: true }),
    hidden: numberSetting(settings, "controllerHidden", 512, { min: 1, max: 65536, integer: true }),
    learningRate: numberSetting(settings, "controllerLearningRate", 1e-4, { min: 0, exclusiveMin: true }),
    // The reference starts every id's previous weights at [1, 0, …], or [1.5, 0, …] for cross-entropy.
    initialWeight: setup.task === "multiclass" ? 1.5 : 1,
    device: setup.device,
  };
  const users = new AutoEmbController({ ...common, numIds: setup.numUsers, seed: setup.seed + 1000 });
  const items = new AutoEmbController({ ...common, numIds: setup.numItems, seed: setup.seed + 2000 });
  return {
    users,
    items,
    weights: (batch: StreamBatch) => ({
      users: users.weights(batch.users, batch.userFrequencies),
      items: items.weights(batch.items, batch.itemFrequencies),
    }),
    step: () => {
      users.step();
      items.step();
    },
    observe: (batch, weights) => {
      users.remember(batch.users, weights.users);
      items.remember(batch.items, weights.items);
    },
    bytes: () => users.bytes() + items.bytes(),
    sizes: () => ({ users: users.sizes(), items: items.sizes() }),
    snapshot: () => nestSnapshots({ users: users.snapshot(), items: items.snapshot() }),
    restore: (snapshot) => {
      users.restore(snapshotPart(snapshot, "users"));
      items.restore(snapshotPart(snapshot, "items"));
    },
  };
}

export function runAutoEmb(context: SearchContext) {
  return runSoftRatingSearch(context, autoEmbSelector);
}

export const autoEmbMethod: SearchMethodDefinition = {
  defaultCandidates: [2, 4, 8, 16, 64, 128],
  tasks: ["binary", "multiclass"],
  settings: [
    ...softSearchSettings,
    { name: "frequencyDim", type: { kind: "integer", min: 1, max: 65536 }, default: 32, doc: "the controller's frequency encoding width" },
    { name: "controllerHidden", type: { kind: "integer", min: 1, max: 65536 }, default: 512, doc: "the controllers' hidden width" },
    { name: "controllerLearningRate", type: { kind: "number", min: 0, max: Infinity, exclusiveMin: true }, default: 1e-4,
      doc: "the controllers' Adam learning rate" },
  ],
  run: runAutoEmb,
};
