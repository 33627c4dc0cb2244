/**
 * The FIXED MLP recommender learns on synthetic ratings: scored prequentially on the held-out
 * tail of a time-ordered stream, it beats predicting the overall label frequencies and each
 * item's own (popularity), for the binary and the five-class task.
 */
import { describe, expect, it } from "vitest";
import { generateSynthetic, streamSplit } from "mixdim";
import { MlpRecommender } from "../../ts/models/mlp_recommender.js";
import { Adam } from "../../ts/optim/adam.js";
import { fixedPlan } from "../../ts/plan/size_plan.js";
import { ratingBaselines } from "../../ts/training/rating_baselines.js";
import { runStream, type RatingTask } from "../../ts/training/rating_stream.js";
import { testSeed } from "../support/random.js";

function trainAndScore(task: RatingTask, seed: number) {
  const data = generateSynthetic({ numUsers: 400, numItems: 250, numRatings: 40_000, seed });
  const { order, train, test } = streamSplit(data, { order: "time", trainFraction: 0.8 });
  const model = new MlpRecommender({
    plan: fixedPlan({ users: data.numUsers, items: data.numItems }, 32), outputs: task === "binary" ? 1 : 5,
    hidden: 64, seed, initStd: 0.1,
  });
  const optimizer = new Adam(model.parameters(), { learningRate: 3e-3 });
  for (let epoch = 0; epoch < 2; ++epoch) runStream(model, optimizer, data, train, { task, batchSize: 250 });
  const scored = runStream(model, optimizer, data, test, { task, batchSize: 250 });
  const baselines = ratingBaselines(data, order, task, train.length, data.numItems);
  return { scored, baselines };
}

describe("the FIXED MLP recommender on synthetic ratings", () => {
  it("beats the majority and popularity baselines on the binary task", () => {
    const { scored, baselines } = trainAndScore("binary", testSeed("mlp binary"));
    console.log("binary", scored, baselines);
    expect(scored.loss).toBeLessThan(0.9 * baselines.majority.loss);
    expect(scored.loss).toBeLessThan(baselines.popularity.loss);
    expect(scored.accuracy).toBeGreaterThan(baselines.majority.accuracy + 0.03);
    expect(scored.accuracy).toBeGreaterThan(baselines.popularity.accuracy);
  });

  it("beats them on the five-class task", () => {
    const { scored, baselines } = trainAndScore("multiclass", testSeed("mlp five-class"));
    console.log("five-class", scored, baselines);
    expect(scored.loss).toBeLessThan(0.95 * baselines.majority.loss);
    expect(scored.loss).toBeLessThan(baselines.popularity.loss);
    expect(scored.accuracy).toBeGreaterThan(baselines.majority.accuracy);
  });
});
