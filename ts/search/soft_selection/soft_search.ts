/**
 * A soft-selection search on a rating stream, start to end, for DARTS per id and AutoEmb: split
 * the stream (time order unless settings.order is "shuffle", the first 75% to search on, the rest to test),
 * build the soft-mixing recommender, run the shared loop (soft_stream.ts) with the method's
 * selector, and take each id's heaviest candidate as the plan.
 *
 * searchMetrics: `testAccuracy` and `testLoss` are the soft model's own prequential numbers on
 * the test tail (what the ESAPN slides report for DARTS and AutoEmb), `trainAccuracy` and
 * `trainLoss` the same over the head, `samplesPerSecond` the search's training rate over the
 * head. The budget is not part of the search, which holds every id's whole d_M-wide row (every
 * candidate) from start to end (peakSearchBytes): search() holds the plan to it afterwards
 * (budget.ts), stepping the least frequent ids down first, and retrains that plan with ESAPN's
 * recommender in the same order for result.metrics.
 *
 * Settings (all optional): batchSize (250), learningRate of the recommender (5e-4; the same
 * defaults as the FIXED protocol's runRatingExperiment), epochs over the head (1), dim D (the
 * largest candidate), hidden (512), initStd (0.01), order ("time" or "shuffle", the reference's
 * random order; default "time").
 *
 * Checkpoints are per batch: the recommender and its Adam, the selector (α and its Adam, or
 * the controllers, their Adams and each id's previous weights) and the stream's position. A
 * resumed search gives the plan and the metrics of an uninterrupted one, bit for bit on the
 * CPU. The retraining of the plan (search()'s evaluatePlan) is not cut into steps.
 */
import { oneOf } from "../../arguments.js";
import type { Device } from "../../backend.js";
import { streamSplit } from "../../data/splits.js";
import { Adam } from "../../optim/adam.js";
import { planBytes, type SizePlan } from "../../plan/size_plan.js";
import type { RatingTask } from "../../training/rating_stream.js";
import { moduleSnapshot, nestSnapshots, restoreModule, snapshotPart, type StateSnapshot } from "../../training/state_snapshot.js";
import type { SearchContext, SearchOutcome } from "../search_context.js";
import { SoftSelectionRecommender } from "./soft_recommender.js";
import { runningFrequencies, runSoftStream, type SoftSelector, type SoftStreamPosition } from "./soft_stream.js";
import { numberSetting } from "../settings.js";
import type { SettingSpec } from "../setting_table.js";

/** What a method gets to build its selector from. */
export interface SoftSelectorSetup {
  numUsers: number;
  numItems: number;
  candidates: readonly number[];
  task: RatingTask;
  /** The largest running count of any id in the stream: the frequency tables' size. */
  maxFrequency: number;
  seed: number;
  device: Device;
  settings: Record<string, unknown>;
}

/** A selector that can also say, at the end, each id's chosen size, and be checkpointed. */
export interface PlanningSelector extends SoftSelector {
  sizes(): { users: Int32Array; items: Int32Array };
  /** Everything the selector has learned and remembered (checkpoints). */
  snapshot(): StateSnapshot;
  /** Restores what snapshot() captured into a selector built with the same setup. */
  restore(snapshot: StateSnapshot): void;
}

/** The settings runSoftRatingSearch reads, on the rating tasks. */
export const softSearchSettings: readonly SettingSpec[] = [
  { name: "batchSize", type: { kind: "integer", min: 2, max: 2 ** 24 }, default: 250, doc: "samples per batch", tasks: ["binary", "multiclass"] },
  { name: "learningRate", type: { kind: "number", min: 0, max: Infinity, exclusiveMin: true }, default: 5e-4,
    doc: "the recommender's Adam learning rate", tasks: ["binary", "multiclass"] },
  { name: "epochs", type: { kind: "integer", min: 1, max: 1000 }, default: 1, doc: "passes over the stream's head", tasks: ["binary", "multiclass"] },
  { name: "dim", type: { kind: "integer", min: 1, max: 65536 }, default: "the largest candidate", doc: "D, the size every candidate is projected to",
    tasks: ["binary", "multiclass"] },
  { name: "hidden", type: { kind: "integer", min: 1, max: 65536 }, default: 512, doc: "the recommender's hidden width", tasks: ["binary", "multiclass"] },
  { name: "initStd", type: { kind: "number", min: 0, max: Infinity }, default: 0.01, doc: "std of the initial embedding rows", tasks: ["binary", "multiclass"] },
  { name: "order", type: { kind: "choice", values: ["time", "shuffle"] }, default: "time",
    doc: "the stream's order: by time, or shuffled (the reference's random order)", tasks: ["binary", "multiclass"] },
];

export async function runSoftRatingSearch(context: SearchContext,
                                          createSelector: (setup: SoftSelectorSetup) => PlanningSelector): Promise<SearchOutcome> {
  const { data, candidates, seed, device, settings } = context;
  const task = context.task;
  if (task !== "binary" && task !== "multiclass") throw new RangeError(`a soft-selection search on a rating stream takes "binary" or "multiclass", got "${task}"`);
  const batchSize = numberSetting(settings, "batchSize", 250, { min: 2, max: 2 ** 24, integer: true });
  const learningRate = numberSetting(settings, "learningRate", 5e-4, { min: 0, exclusiveMin: true });
  const epochs = numberSetting(settings, "epochs", 1, { min: 1, max: 1000, integer: true });
  const dim = numberSetting(settings, "dim", candidates[candidates.length - 1]!, { min: 1, max: 65536, integer: true });
  const hidden = numberSetting(settings, "hidden", 512, { min: 1, max: 65536, integer: true });
  const initStd = numberSetting(settings, "initStd", 0.01, { min: 0 });
  if (data.users.length < 2) throw new RangeError(`the stream needs at least 2 ratings, got ${data.users.length}`);

  const order = oneOf(settings.order ?? "time", "settings.order", ["time", "shuffle"] as const);
  const split = streamSplit(data, { order, trainFraction: 0.75, seed });
  const frequencies = runningFrequencies(data, split.order, data.numUsers, data.numItems);
  let maxFrequency = 1;
  for (let r = 0; r < data.users.length; ++r) {
    maxFrequency = Math.max(maxFrequency, frequencies.userFrequencies[r]!, frequencies.itemFrequencies[r]!);
  }
  const model = new SoftSelectionRecommender({
    numUsers: data.numUsers, numItems: data.numItems, candidates, outputs: task === "binary" ? 1 : 5,
    dim, hidden, seed, initStd, device,
  });
  const optimizer = new Adam(model.parameters(), { learningRate });
  const selector = createSelector({ numUsers: data.numUsers, numItems: data.numItems, candidates, task, maxFrequency, seed, device, settings });
  const { resume } = context;
  if (resume !== undefined) {
    restoreModule(snapshotPart(resume, "model"), model, optimizer);
    selector.restore(snapshotPart(resume, "selector"));
  }

  const stream = await runSoftStream(model, optimizer, selector, { ...data, ...frequencies }, split, {
    task, batchSize, epochs,
    onBatch: (phase, step, total, batch) => context.report({ phase, step, total, ...batch, bytes: selector.bytes() }),
    between: (position) => context.checkpoint(() => nestSnapshots(
      { model: moduleSnapshot(model, optimizer), selector: selector.snapshot() }, { state: { stream: position() } })),
    ...(resume === undefined ? {} : { resumeFrom: resume.state.stream as SoftStreamPosition }),
  });
  const plan: SizePlan = { candidates, tables: selector.sizes() };
  context.report({ phase: "plan", step: 0, bytes: planBytes(plan) });
  const searchMetrics: Record<string, number> = {
    trainAccuracy: stream.train.accuracy, trainLoss: stream.train.loss,
    testAccuracy: stream.test.accuracy, testLoss: stream.test.loss,
    samplesPerSecond: stream.train.samples / stream.train.seconds,
  };
  // Read from the tables the recommender holds, so the figure follows their layout: one d_M-wide
  // row per id with every candidate a prefix of it (soft_selection_embedding.ts), the whole of
  // both sides from the first batch to the last. The selector's per-id state (DARTS's α, AutoEmb's
  // previous weights: M floats an id) and the projections are not embedding rows, and are left out.
  const peakSearchBytes = [model.users.table, model.items.table]
    .reduce((bytes, table) => bytes + table.numRows * table.maxDim * 4, 0);
  return { plan, searchMetrics, peakSearchBytes };
}
