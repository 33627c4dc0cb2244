/**
 * Retraining a size plan on a rating stream so that Ctrl-C can stop it and --resume continue
 * it: runRatingExperiment's protocol (methods.md A4: time-ordered or shuffled split, ESAPN's MLP recommender,
 * one prequential pass over the training head, then the test tail scored before each batch is
 * trained on), run one batch at a time with a turn of the event loop between batches, so that
 * the SIGINT handler runs. On an abort it saves the model, the optimizer and its position
 * (saveTraining) and throws RunInterrupted; resuming from that checkpoint continues bit for bit.
 * Uninterrupted, it gives runRatingExperiment's accuracies exactly (test/cli checks this).
 */
import { createHash } from "node:crypto";

import { loadCheckpoint } from "../checkpoint/checkpoint.js";
import { streamSplit } from "../data/splits.js";
import { MlpRecommender } from "../models/mlp_recommender.js";
import { Adam } from "../optim/adam.js";
import { planBytes, type SizePlan } from "../plan/size_plan.js";
import type { SearchData } from "../search/search_types.js";
import { ratingBaselines } from "../training/rating_baselines.js";
import { runStream, type RatingTask } from "../training/rating_stream.js";
import { ratingExperimentDefaults } from "../training/rating_experiment.js";
import { loadTraining, saveTraining } from "../training/training_checkpoint.js";
import { planText } from "../export/plan_export.js";
import { RunInterrupted } from "./cli_errors.js";
import type { ProgressUpdate } from "./progress_reporter.js";

const { batchSize, learningRate, trainFraction, initStd } = ratingExperimentDefaults;

/** Where a run stands: the pass in progress and its running totals. JSON, for the checkpoint. */
export interface TrainingPosition {
  /** Training passes finished (of `epochs`); the test pass runs when all are. */
  epochsDone: number;
  /** Events of the current pass already trained on. */
  next: number;
  correct: number;
  lossSum: number;
  samples: number;
  seconds: number;
  /** Training samples and seconds over every pass, for samplesPerSecond. */
  trainSamples: number;
  trainSeconds: number;
  /** SHA-256 of the plan's JSON: a resume must retrain the same plan. */
  planDigest: string;
}

export interface PlanTrainingOptions {
  task: RatingTask;
  /** The stream's order, as evaluatePlan takes it from settings.order. Default "time". */
  order?: "time" | "shuffle";
  seed?: number;
  /** Passes over the training head (default 1). */
  epochs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ProgressUpdate) => void;
  /** Continue the run saved in this checkpoint. */
  resumeFrom?: string;
  /** On an abort, save the run here, with `state` (the command's settings) beside its position. */
  interruptTo?: { dir: string; state: Record<string, unknown> };
}

export interface PlanTraining {
  /** evaluatePlan's metrics for a rating task. */
  metrics: Record<string, number>;
  model: MlpRecommender;
  optimizer: Adam;
}

export function planDigest(plan: SizePlan): string {
  return createHash("sha256").update(planText(plan)).digest("hex");
}

export function ratingModel(plan: SizePlan, task: RatingTask, seed: number): { model: MlpRecommender; optimizer: Adam } {
  const model = new MlpRecommender({ plan, outputs: task === "binary" ? 1 : 5, seed, initStd });
  return { model, optimizer: new Adam(model.parameters(), { learningRate }) };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function trainPlan(data: SearchData, plan: SizePlan, options: PlanTrainingOptions): Promise<PlanTraining> {
  const { task, order = "time", seed = 0, epochs = 1, signal } = options;
  const split = streamSplit(data, { order, trainFraction, seed });
  const { model, optimizer } = ratingModel(plan, task, seed);
  const digest = planDigest(plan);
  let position: TrainingPosition = {
    epochsDone: 0, next: 0, correct: 0, lossSum: 0, samples: 0, seconds: 0, trainSamples: 0, trainSeconds: 0, planDigest: digest,
  };
  if (options.resumeFrom !== undefined) {
    // Check the plan before loading: a different plan's weights would not fit the model.
    const saved = (await loadCheckpoint(options.resumeFrom)).state as { trainer?: { position?: TrainingPosition } } | null;
    if (saved?.trainer?.position?.planDigest !== digest) {
      throw new RangeError(`the checkpoint in ${options.resumeFrom} trained a different plan; start afresh without --resume`);
    }
    position = (await loadTraining(options.resumeFrom, { model, optimizer })).position as TrainingPosition;
  }
  const bytes = planBytes(plan);
  for (;;) {
    const testing = position.epochsDone >= epochs;
    const rows = testing ? split.test : split.train;
    const phase = testing ? "test" : epochs > 1 ? `train ${position.epochsDone + 1}/${epochs}` : "train";
    const total = Math.ceil(rows.length / batchSize);
    while (position.next < rows.length) {
      if (signal?.aborted) {
        if (options.interruptTo === undefined) signal.throwIfAborted();
        const { dir, state } = options.interruptTo!;
        await saveTraining(dir, { model, optimizer, plan, state: { ...state, position } });
        throw new RunInterrupted(`interrupted at ${phase} ${Math.ceil(position.next / batchSize)}/${total}; ` +
                                 `checkpoint written to ${dir}; add --resume to continue`);
      }
      const batch = rows.subarray(position.next, position.next + batchSize);
      const metrics = runStream(model, optimizer, data, batch, { task, batchSize });
      position.correct += Math.round(metrics.accuracy * metrics.samples);
      position.lossSum += metrics.loss * metrics.samples;
      position.samples += metrics.samples;
      position.seconds += metrics.seconds;
      position.next += batch.length;
      options.onProgress?.({ phase, step: Math.ceil(position.next / batchSize), total, loss: position.lossSum / position.samples, bytes });
      await nextTurn();
    }
    if (testing) break;
    position.trainSamples += position.samples;
    position.trainSeconds += position.seconds;
    position = { ...position, epochsDone: position.epochsDone + 1, next: 0, correct: 0, lossSum: 0, samples: 0, seconds: 0 };
  }
  const baselines = ratingBaselines(data, split.order, task, split.train.length, data.numItems);
  return {
    metrics: {
      testAccuracy: position.samples === 0 ? NaN : position.correct / position.samples,
      testLoss: position.samples === 0 ? NaN : position.lossSum / position.samples,
      majorityAccuracy: baselines.majority.accuracy,
      popularityAccuracy: baselines.popularity.accuracy,
      samplesPerSecond: position.trainSamples / position.trainSeconds,
    },
    model,
    optimizer,
  };
}

/**
 * Scores a trained model on every rating of `data` without training it: accuracy and loss. A
 * model saved after the prequential protocol has trained on every rating of its own data, so on
 * that data these measure fit, not generalisation; the held-out figures are the run's own.
 */
export function evaluateModel(data: SearchData, model: MlpRecommender, task: RatingTask): Record<string, number> {
  const all = Int32Array.from({ length: data.users.length }, (_, r) => r);
  const scored = runStream(model, undefined, data, all, { task, batchSize });
  return { accuracy: scored.accuracy, loss: scored.loss };
}
