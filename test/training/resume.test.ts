/**
 * A run saved to a checkpoint and resumed in a fresh process-like setting (new model, new
 * optimizer, built with another seed) continues bit for bit on the CPU.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateSynthetic, streamSplit } from "mixdim";
import { MlpRecommender } from "../../ts/models/mlp_recommender.js";
import { Adam } from "../../ts/optim/adam.js";
import { fixedPlan, type SizePlan } from "../../ts/plan/size_plan.js";
import { loadTraining, saveTraining } from "../../ts/training/training_checkpoint.js";
import { runStream } from "../../ts/training/rating_stream.js";

const scratch = mkdtempSync(path.join(tmpdir(), "mixdim-resume-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("checkpoint and resume", () => {
  for (const plan of ["fixed", "mixed"] as const) {
    it(`continues bit for bit after a save and a load (${plan} plan)`, async () => {
      const data = generateSynthetic({ numUsers: 120, numItems: 80, numRatings: 6000, seed: 4 });
      const { train } = streamSplit(data, { order: "time", trainFraction: 1 });
      const first = train.subarray(0, 3000);
      const rest = train.subarray(3000);
      const sizePlan: SizePlan = plan === "fixed"
        ? fixedPlan({ users: data.numUsers, items: data.numItems }, 16)
        : { candidates: [2, 4, 8, 16], tables: {
            users: Int32Array.from({ length: data.numUsers }, (_, i) => [2, 4, 8, 16][i % 4]!),
            items: Int32Array.from({ length: data.numItems }, (_, i) => [16, 8, 4, 2][i % 4]!),
          } };
      const build = (seed: number) => {
        const model = new MlpRecommender({ plan: sizePlan, outputs: 1, hidden: 24, seed });
        return { model, optimizer: new Adam(model.parameters(), { learningRate: 3e-3 }) };
      };
      const options = { task: "binary" as const, batchSize: 200 };

      const original = build(1);
      runStream(original.model, original.optimizer, data, first, options);
      const dir = path.join(scratch, plan);
      await saveTraining(dir, { ...original, plan: sizePlan, state: { position: first.length } });
      runStream(original.model, original.optimizer, data, rest, options);

      const resumed = build(99);
      const state = await loadTraining(dir, resumed);
      expect(state).toEqual({ position: 3000 });
      runStream(resumed.model, resumed.optimizer, data, rest, options);

      const expected = original.model.state();
      const actual = resumed.model.state();
      expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
      for (const name of Object.keys(expected)) expect(actual[name], name).toEqual(expected[name]);
    });
  }
});
