import { describe, expect, it } from "vitest";
import { backend, Tensor } from "mixdim";
import { bceWithLogits } from "../../ts/autograd/ops/loss_op.js";
import { pairwiseInteraction } from "../../ts/autograd/ops/pairwise_interaction_op.js";
import { backward, noGrad } from "../../ts/autograd/tape.js";
import { Variable } from "../../ts/autograd/variable.js";
import { baseRateLogLoss, evaluateCtr, trainCtr } from "../../ts/models/ctr_training.js";
import { fixedFieldPlan } from "../../ts/models/field_embeddings.js";
import { FM } from "../../ts/models/fm.js";
import { Adam } from "../../ts/optim/adam.js";
import { checkGradients } from "../support/gradient_check.js";
import { maxRelativeError } from "../support/reference_store.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";
import {
  cardinalities, checkModelGradients, expectBadInputErrors, expectLearned, frequencyPlan, learnCtr, mixedPlan, type MakeModel,
} from "./ctr_checks.js";

const makeFm: MakeModel = (options) => new FM(options);

/** Σ_{f<g} ⟨v_f, v_g⟩ per row in float64, pair by pair. */
function referencePairs(x: Float32Array, batch: number, numFields: number, dim: number): Float64Array {
  const out = new Float64Array(batch);
  for (let b = 0; b < batch; ++b) {
    for (let f = 0; f < numFields; ++f) {
      for (let g = f + 1; g < numFields; ++g) {
        for (let d = 0; d < dim; ++d) out[b]! += x[(b * numFields + f) * dim + d]! * x[(b * numFields + g) * dim + d]!;
      }
    }
  }
  return out;
}

describe("pairwiseInteraction", () => {
  it("sums ⟨v_f, v_g⟩ over field pairs, as a pair-by-pair float64 reference does", () => {
    const random = rng(testSeed("pairwise forward"));
    for (const [batch, numFields, dim] of [[9, 5, 3], [1, 2, 7], [4, 1, 4], [33, 12, 16]] as const) {
      const x = randomFloats(random, batch * numFields * dim);
      const y = pairwiseInteraction(new Variable(Tensor.from(x, { shape: [batch, numFields * dim] })), numFields);
      expect(y.shape).toEqual([batch, 1]);
      expect(maxRelativeError(y.value.toArray(), referencePairs(x, batch, numFields, dim))).toBeLessThan(1e-5);
    }
  });

  it("has the gradient dy/dv_f = Σ_g v_g − v_f (finite differences)", () => {
    const random = rng(testSeed("pairwise gradient"));
    const x = new Variable(Tensor.from(randomFloats(random, 6 * 4 * 3), { shape: [6, 12] }), { requiresGrad: true, name: "x" });
    const labels = Tensor.from(Float32Array.from({ length: 6 }, () => (random() < 0.5 ? 0 : 1)), { shape: [6, 1] });
    checkGradients(() => bceWithLogits(pairwiseInteraction(x, 4), labels, "sum"), [x], random, { h: 1e-3, samples: 20 });
  });

  it("rejects a width that is not numFields vectors of one size", () => {
    const x = new Variable(Tensor.from(new Float32Array(2 * 10), { shape: [2, 10] }));
    expect(() => pairwiseInteraction(x, 3)).toThrow(/x has 10 columns, which is not numFields = 3/);
    expect(() => pairwiseInteraction(x, 0)).toThrow(/numFields/);
    expect(() => pairwiseInteraction(new Variable(Tensor.from(new Float32Array(4))), 2)).toThrow(/x must be \[batch, numFields · dim\]/);
  });
});

describe("FM", () => {
  it("computes w0 + Σ_f w_f + Σ_{f<g} ⟨P_f v_f, P_g v_g⟩ from its tables and projections", () => {
    const random = rng(testSeed("fm forward"));
    const cards = [6, 3, 9, 4];
    const model = new FM({ plan: mixedPlan(random, cards, [2, 4, 8]), numFields: 4, dim: 4, initStd: 0.5, seed: 3 });
    model.linear.bias.value.toArray()[0] = 0.25;
    const batch = 7;
    const fields = Int32Array.from({ length: batch * 4 }, (_, i) => randomInt(random, 0, cards[i % 4]!));
    const logits = noGrad(() => model.forward(fields)).value.toArray();
    for (let b = 0; b < batch; ++b) {
      let expected = 0.25;
      const vectors: number[][] = [];
      for (let f = 0; f < 4; ++f) {
        const id = fields[b * 4 + f]!;
        expected += model.linear.weights[f]!.store.readRows([id])[0]!;
        const table = model.embeddings.tables[f]!;
        const row = Array.from(table.store.readRows([id]));
        const projection = model.embeddings.projections[f];
        if (projection === undefined) {
          vectors.push(row);
          continue;
        }
        const w = projection.weight.value.toArray();
        vectors.push(Array.from({ length: 4 }, (_, j) => row.reduce((s, v, i) => s + v * w[i * 4 + j]!, 0)));
      }
      for (let f = 0; f < 4; ++f) for (let g = f + 1; g < 4; ++g) expected += vectors[f]!.reduce((s, v, d) => s + v * vectors[g]![d]!, 0);
      expect(logits[b]).toBeCloseTo(expected, 4);
    }
  });

  it("has gradients that match finite differences, dense and row-sparse", () => {
    checkModelGradients(makeFm, rng(testSeed("fm gradients")));
  });

  it("learns a synthetic CTR set: held-out AUC above chance and logloss below the base rate", () => {
    const result = learnCtr(makeFm, testSeed("fm learns"));
    console.log("FM, fixed plan (d = 8):", result);
    expectLearned(result);
  });

  it("learns from a mixed plan, with fields projected to one size", () => {
    const result = learnCtr(makeFm, testSeed("fm mixed plan"), frequencyPlan(cardinalities));
    console.log("FM, mixed plan (4–16 → 16):", result);
    expectLearned(result);
  });

  it("round-trips its state (sizes, rows, projections) into a fresh model of the same plan", () => {
    const random = rng(testSeed("fm state"));
    const cards = [5, 8, 3];
    const plan = mixedPlan(random, cards, [2, 4, 8]);
    const model = new FM({ plan, numFields: 3, dim: 4, initStd: 0.5, seed: 1 });
    const state = model.state();
    expect(Object.keys(state)).toContain("embeddings.field1.weight.sizes");
    expect(Object.keys(state)).toContain("linear.bias");
    const fresh = new FM({ plan, numFields: 3, dim: 4, initStd: 0.5, seed: 2 });
    fresh.load(state);
    const fields = Int32Array.from({ length: 4 * 3 }, (_, i) => randomInt(random, 0, cards[i % 3]!));
    expect(noGrad(() => fresh.forward(fields)).value.toArray()).toEqual(noGrad(() => model.forward(fields)).value.toArray());
  });

  it("names the field, the row and the table in bad-input errors", () => {
    expectBadInputErrors(makeFm);
  });

  it("trains and evaluates only on rows and data that fit the model", () => {
    const model = new FM({ plan: fixedFieldPlan([3, 4], 2), numFields: 2, seed: 1 });
    const data = { numFields: 2, values: Int32Array.of(0, 1, 2, 3, 1, 0), clicks: Float32Array.of(1, 0, 1) };
    const optimizer = new Adam(model.parameters(), { learningRate: 0.1 });
    expect(trainCtr(model, optimizer, data, { rows: Int32Array.of(0, 1, 2), epochs: 2, batchSize: 2 })).toHaveLength(2);
    expect(evaluateCtr(model, data, Int32Array.of(0, 1, 2)).rows).toBe(3);
    expect(() => trainCtr(model, optimizer, data, { rows: Int32Array.of(0, 3) })).toThrow(/rows\[1\] = 3 is out of range \[0, 3\)/);
    expect(() => evaluateCtr(model, { ...data, clicks: Float32Array.of(1, 0) }, Int32Array.of(0)))
      .toThrow(/data.values has 6 ids but 2 rows × 2 fields need 4/);
    expect(() => evaluateCtr(model, { numFields: 3, values: new Int32Array(6), clicks: Float32Array.of(1, 0) }, Int32Array.of(0)))
      .toThrow(/the model takes 2 fields but data has 3/);
    expect(() => trainCtr(model, optimizer, data, { rows: [0, 1] as unknown as Int32Array })).toThrow(TypeError);
    expect(baseRateLogLoss(data, Int32Array.of(0, 1), Int32Array.of(2))).toBeCloseTo(Math.log(2), 6);
  });
});

describe.runIf(backend().cudaDevices.length > 0)("pairwiseInteraction on CUDA", () => {
  it("matches the CPU, forward and backward", () => {
    const random = rng(testSeed("pairwise cuda"));
    const values = randomFloats(random, 40 * 6 * 8);
    const cpu = new Variable(Tensor.from(values, { shape: [40, 48] }), { requiresGrad: true });
    const cuda = new Variable(Tensor.from(values, { shape: [40, 48], device: "cuda" }), { requiresGrad: true });
    const labels = Float32Array.from({ length: 40 }, () => (random() < 0.5 ? 0 : 1));
    const lossCpu = bceWithLogits(pairwiseInteraction(cpu, 6), Tensor.from(labels, { shape: [40, 1] }));
    const lossCuda = bceWithLogits(pairwiseInteraction(cuda, 6), Tensor.from(labels, { shape: [40, 1], device: "cuda" }));
    expect(lossCuda.value.toArray()[0]).toBeCloseTo(lossCpu.value.toArray()[0]!, 5);
    backward(lossCpu);
    backward(lossCuda);
    expect(maxRelativeError(cuda.grad!.toArray(), cpu.grad!.toArray())).toBeLessThan(1e-5);
  });
});
