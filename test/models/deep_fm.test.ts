import { describe, expect, it } from "vitest";
import { noGrad } from "../../ts/autograd/tape.js";
import { DeepFM } from "../../ts/models/deep_fm.js";
import { FM } from "../../ts/models/fm.js";
import { randomInt, rng, testSeed } from "../support/random.js";
import {
  cardinalities, checkModelGradients, expectBadInputErrors, expectLearned, frequencyPlan, learnCtr, mixedPlan, type MakeModel,
} from "./ctr_checks.js";

const makeDeepFm: MakeModel = (options) => new DeepFM(options);

describe("DeepFM", () => {
  it("is an FM plus an MLP over the same field vectors", () => {
    const random = rng(testSeed("deepfm forward"));
    const cards = [4, 9, 6, 3];
    const plan = mixedPlan(random, cards, [2, 4, 8]);
    const model = new DeepFM({ plan, numFields: 4, dim: 4, hidden: [16], initStd: 0.5, seed: 5 });
    expect(model.deep.layers.map((layer) => layer.weight.shape)).toEqual([[16, 16], [16, 1]]);
    const fields = Int32Array.from({ length: 6 * 4 }, (_, i) => randomInt(random, 0, cards[i % 4]!));
    // With the MLP's output layer at zero, DeepFM is the FM of the same seed, tables and projections alike.
    const last = model.deep.layers[1]!;
    last.weight.value.toArray().fill(0);
    last.bias!.value.toArray().fill(0);
    const fm = new FM({ plan, numFields: 4, dim: 4, initStd: 0.5, seed: 5 });
    const deepFm = noGrad(() => model.forward(fields)).value.toArray();
    expect(Array.from(deepFm)).toEqual(Array.from(noGrad(() => fm.forward(fields)).value.toArray()));
    // One set of tables feeds both parts: 4 of field vectors and 4 of first-order weights.
    expect(model.parameters().filter((p) => "store" in p).length).toBe(2 * 4);
  });

  it("has gradients that match finite differences, dense and row-sparse", () => {
    checkModelGradients(makeDeepFm, rng(testSeed("deepfm gradients")));
  });

  it("learns a synthetic CTR set: held-out AUC above chance and logloss below the base rate", () => {
    const result = learnCtr(makeDeepFm, testSeed("deepfm learns"));
    console.log("DeepFM, fixed plan (d = 8):", result);
    expectLearned(result);
  });

  it("learns from a mixed plan, with fields projected to one size", () => {
    const result = learnCtr(makeDeepFm, testSeed("deepfm mixed plan"), frequencyPlan(cardinalities));
    console.log("DeepFM, mixed plan (4–16 → 16):", result);
    expectLearned(result);
  });

  it("names the field, the row and the table in bad-input errors", () => {
    expectBadInputErrors(makeDeepFm);
  });
});
