import { describe, expect, it } from "vitest";
import { noGrad } from "../../ts/autograd/tape.js";
import { FM } from "../../ts/models/fm.js";
import { WideAndDeep } from "../../ts/models/wide_and_deep.js";
import { fixedFieldPlan } from "../../ts/models/field_embeddings.js";
import { randomInt, rng, testSeed } from "../support/random.js";
import {
  cardinalities, checkModelGradients, expectBadInputErrors, expectLearned, frequencyPlan, learnCtr, type MakeModel,
} from "./ctr_checks.js";

const makeWideAndDeep: MakeModel = (options) => new WideAndDeep(options);

describe("WideAndDeep", () => {
  it("is the first-order model plus an MLP [F·D, 64, 32, 1] over the field vectors", () => {
    const random = rng(testSeed("wide and deep forward"));
    const cards = [4, 9, 6];
    const plan = fixedFieldPlan(cards, 8);
    const model = new WideAndDeep({ plan, numFields: 3, initStd: 0.5, seed: 11 });
    expect(model.deep.layers.map((layer) => layer.weight.shape)).toEqual([[24, 64], [64, 32], [32, 1]]);
    const fields = Int32Array.from({ length: 5 * 3 }, (_, i) => randomInt(random, 0, cards[i % 3]!));
    // With the deep tower's output layer at zero, only the wide part is left: FM's first-order
    // term for the same seed (both draw it from the same stream).
    const last = model.deep.layers[2]!;
    last.weight.value.toArray().fill(0);
    last.bias!.value.toArray().fill(0);
    const fm = new FM({ plan, numFields: 3, initStd: 0.5, seed: 11 });
    const wide = noGrad(() => model.forward(fields)).value.toArray();
    const firstOrder = noGrad(() => fm.linear.forward(fm.embeddings.split(fields))).value.toArray();
    expect(Array.from(wide)).toEqual(Array.from(firstOrder));
    // And the deep part moves the logit once its output layer is not zero.
    last.bias!.value.toArray()[0] = 1;
    const shifted = noGrad(() => model.forward(fields)).value.toArray();
    shifted.forEach((z, b) => expect(z).toBeCloseTo(wide[b]! + 1, 5));
  });

  it("has gradients that match finite differences, dense and row-sparse", () => {
    checkModelGradients(makeWideAndDeep, rng(testSeed("wide and deep gradients")));
  });

  it("learns a synthetic CTR set: held-out AUC above chance and logloss below the base rate", () => {
    const result = learnCtr(makeWideAndDeep, testSeed("wide and deep learns"));
    console.log("Wide&Deep, fixed plan (d = 8):", result);
    expectLearned(result);
  });

  it("learns from a mixed plan, with fields projected to one size", () => {
    const result = learnCtr(makeWideAndDeep, testSeed("wide and deep mixed plan"), frequencyPlan(cardinalities));
    console.log("Wide&Deep, mixed plan (4–16 → 16):", result);
    expectLearned(result);
  });

  it("names the field, the row and the table in bad-input errors", () => {
    expectBadInputErrors(makeWideAndDeep);
    expect(() => new WideAndDeep({ plan: fixedFieldPlan([3], 2), numFields: 1, hidden: 8 as unknown as number[] })).toThrow(/hidden/);
  });
});
