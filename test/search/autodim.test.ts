/**
 * AutoDim: the search layer (weight-sharing prefixes, τ schedule, bi-level α steps, DARTS's
 * second order), the argmax plan and its budget, inherited retraining, the method through
 * search() on synthetic CTR data, and the own-model example.
 */
import { describe, expect, it } from "vitest";
import { backend, generateSynthetic } from "mixdim";
import { bceWithLogits } from "../../ts/autograd/ops/loss_op.js";
import { backward, noGrad } from "../../ts/autograd/tape.js";
import { ctrSplit } from "../../ts/data/splits.js";
import { baseRateLogLoss, gatherRows } from "../../ts/models/ctr_training.js";
import { MixedDimEmbedding } from "../../ts/modules/mixed_dim_embedding.js";
import type { Parameter } from "../../ts/modules/module.js";
import { Adam } from "../../ts/optim/adam.js";
import { SGD } from "../../ts/optim/sgd.js";
import { planBytes } from "../../ts/plan/size_plan.js";
import { search } from "../../ts/search/search.js";
import { searchAutoDim } from "../../ts/search/autodim/autodim.js";
import { FieldHead, FieldModel } from "../../ts/search/autodim/field_model.js";
import { inheritFromSearch } from "../../ts/search/autodim/inherited_retrain.js";
import { AutoDimSearchLayer } from "../../ts/search/autodim/search_layer.js";
import { Tensor } from "../../ts/tensor.js";
import { main as ownModelExample } from "../../examples/autodim_own_model.js";
import { maxRelativeError } from "../support/reference_store.js";
import { rng, testSeed } from "../support/random.js";
import { expectSearchPastBudgetPlanWithin } from "../support/search_bytes.js";

const hasCuda = backend().cudaDevices.length > 0;

const data = generateSynthetic({
  numUsers: 200, numItems: 120, numRatings: 20_000, numFields: 4, fieldCardinalities: [8, 40, 300, 1500], seed: 11,
});
const fields = data.fields!;
const candidates = [2, 4, 8, 16];

function randomBatch(random: () => number, cardinalities: readonly number[], rows: number): Int32Array {
  return Int32Array.from({ length: rows * cardinalities.length }, (_, i) => Math.floor(random() * cardinalities[i % cardinalities.length]!));
}

/** log α with candidate chosen[f] far ahead of the rest in every field: the Gumbel mix is one-hot in effect. */
function forceChoice(layer: AutoDimSearchLayer, chosen: readonly number[]): void {
  const M = layer.candidates.length;
  const alpha = layer.archParameters()[0]!.value.toArray();
  chosen.forEach((m, f) => {
    for (let i = 0; i < M; ++i) alpha[f * M + i] = i === m ? 60 : 0;
  });
}

describe("AutoDimSearchLayer", () => {
  it("weight-sharing candidates are prefixes of one table row", () => {
    const random = rng(testSeed("autodim prefixes"));
    const cards = [5, 7];
    const layer = new AutoDimSearchLayer({ fieldCardinalities: cards, candidates, batchNorm: false, seed: 3 });
    expect(layer.mixture.rowWidth).toBe(16);
    expect(layer.mixture.embedding.store.sizes().every((d) => d === 16)).toBe(true);
    const batch = randomBatch(random, cards, 6);
    const store = layer.mixture.embedding.store;
    const allRows = Int32Array.from({ length: 12 }, (_, i) => i);
    for (const [m, d] of candidates.entries()) {
      forceChoice(layer, [m, m]);
      const before = noGrad(() => layer.forward(batch)).value.toArray().slice();
      // Changing every value beyond d_m leaves candidate m's output unchanged…
      const saved = store.readRows(allRows);
      const changed = saved.slice();
      for (let i = 0; i < changed.length; ++i) if (i % 16 >= d) changed[i] = random() * 2 - 1;
      store.writeRows(allRows, changed);
      const after = noGrad(() => layer.forward(batch)).value.toArray();
      expect(maxRelativeError(after, before)).toBeLessThan(1e-6);
      // …and it is W_m·e[:d_m] + b_m of the row's prefix.
      const { weights, biases } = layer.mixture;
      const W = weights.value.toArray();
      const b = biases.value.toArray();
      const offset = candidates.slice(0, m).reduce((a, c) => a + c, 0);
      const expected = new Float64Array(after.length);
      for (let r = 0; r < 6; ++r) {
        for (let f = 0; f < 2; ++f) {
          const row = layer.mixture.fieldOffsets[f]! + batch[r * 2 + f]!;
          for (let j = 0; j < 16; ++j) {
            let sum = b[(f * 4 + m) * 16 + j]!;
            for (let k = 0; k < d; ++k) sum += W[(f * 16 + j) * 30 + offset + k]! * changed[row * 16 + k]!;
            expected[(r * 2 + f) * 16 + j] = sum;
          }
        }
      }
      expect(maxRelativeError(after, expected)).toBeLessThan(1e-5);
      store.writeRows(allRows, saved);
    }
    const separate = new AutoDimSearchLayer({ fieldCardinalities: cards, candidates, shared: false, seed: 3 });
    expect(separate.mixture.rowWidth).toBe(2 + 4 + 8 + 16);
  });

  it("its argmax gives the plan: every id of field f at candidates[argmax_m α_fm]", () => {
    const layer = new AutoDimSearchLayer({ fieldCardinalities: [3, 5, 2], candidates, seed: 1 });
    forceChoice(layer, [2, 0, 3]);
    expect(Array.from(layer.argmax())).toEqual([2, 0, 3]);
    const plan = layer.plan();
    expect(plan.candidates).toEqual(candidates);
    expect(Object.keys(plan.tables)).toEqual(["field0", "field1", "field2"]);
    expect(Array.from(plan.tables.field0!)).toEqual([8, 8, 8]);
    expect(Array.from(plan.tables.field1!)).toEqual([2, 2, 2, 2, 2]);
    expect(Array.from(plan.tables.field2!)).toEqual([16, 16]);
  });

  it("resizes the user's own per-field tables to the plan", () => {
    const layer = new AutoDimSearchLayer({ fieldCardinalities: [3, 5], candidates, seed: 1 });
    forceChoice(layer, [1, 3]);
    const tables = [3, 5].map((n) => new MixedDimEmbedding({ candidates, sizes: new Int32Array(n).fill(8), seed: 2 }));
    layer.resize(tables);
    expect(Array.from(tables[0]!.sizes())).toEqual([4, 4, 4]);
    expect(Array.from(tables[1]!.sizes())).toEqual([16, 16, 16, 16, 16]);
    expect(() => layer.resize(tables.slice(0, 1))).toThrow(/one MixedDimEmbedding per field/);
    expect(() => layer.resize([tables[1]!, tables[0]!])).toThrow(/tables\[0\] has 5 rows but field 0 has 3 ids/);
  });

  it("anneals τ_t = max(0.01, 1 − 5e-5·t)", () => {
    const layer = new AutoDimSearchLayer({ fieldCardinalities: [3], candidates, seed: 1 });
    const expected: [number, number][] = [[0, 1], [1000, 0.95], [10_000, 0.5], [19_800, 0.01], [25_000, 0.01]];
    for (const [t, tau] of expected) {
      layer.setStep(t);
      expect(layer.tau).toBeCloseTo(tau, 12);
    }
  });

  it("steps α only on validation steps, every archEvery-th, and the weights on every step", () => {
    const random = rng(testSeed("autodim archEvery"));
    const cards = [6, 9, 4];
    const layer = new AutoDimSearchLayer({ fieldCardinalities: cards, candidates, archEvery: 3, seed: 2 });
    const head = new FieldHead({ cardinalities: layer.cardinalities, dim: layer.dim, hidden: [8], seed: 4 });
    const model = new FieldModel(layer, head, layer.cardinalities);
    const optimizer = new Adam(model.parameters(), { learningRate: 0.01 });
    expect(model.parameters()).not.toContain(layer.archParameters()[0]);
    const loss = (batch: Int32Array) => {
      const labels = Float32Array.from({ length: batch.length / 3 }, () => (random() < 0.3 ? 1 : 0));
      return () => bceWithLogits(model.forward(batch), Tensor.from(labels, { shape: [labels.length, 1] }));
    };
    const alpha = () => Float32Array.from(layer.archParameters()[0]!.value.toArray());
    const moved: boolean[] = [];
    for (let t = 0; t < 7; ++t) {
      layer.setStep(t);
      const before = alpha();
      if (layer.isArchStep(t)) layer.archStep({ validationLoss: loss(randomBatch(random, cards, 16)), weights: model.parameters() });
      const afterArch = alpha();
      optimizer.zeroGrad();
      backward(loss(randomBatch(random, cards, 16))());
      optimizer.step();
      expect(Array.from(alpha())).toEqual(Array.from(afterArch));      // the weight step never moves α
      moved.push(Array.from(afterArch).some((a, i) => a !== before[i]));
    }
    expect(moved).toEqual([true, false, false, true, false, false, true]);
  });

  describe("second order (DARTS)", () => {
    function setup(order: 1 | 2, unrolledLearningRate = 0.05) {
      const layer = new AutoDimSearchLayer({ fieldCardinalities: [6, 9, 4], candidates, order, unrolledLearningRate, archOptimizer: "sgd",
                                             archLearningRate: 1, seed: 2 });
      const head = new FieldHead({ cardinalities: layer.cardinalities, dim: layer.dim, hidden: [8], seed: 4 });
      const model = new FieldModel(layer, head, layer.cardinalities);
      const random = rng(77);
      const batch = (n: number) => ({
        fields: randomBatch(random, [6, 9, 4], n),
        labels: Tensor.from(Float32Array.from({ length: n }, () => (random() < 0.4 ? 1 : 0)), { shape: [n, 1] }),
      });
      const train = batch(32);
      const validation = batch(32);
      const losses = {
        validationLoss: () => bceWithLogits(model.forward(validation.fields), validation.labels),
        trainingLoss: () => bceWithLogits(model.forward(train.fields), train.labels),
        weights: model.parameters(),
      };
      return { layer, model, losses };
    }
    const weightsOf = (model: FieldModel) => Object.entries(model.state()).filter(([name]) => !/running|logAlpha/.test(name));
    const alphaOf = (layer: AutoDimSearchLayer) => Float32Array.from(layer.archParameters()[0]!.value.toArray());

    it("differs from the first order, and puts every weight back where it was", () => {
      const first = setup(1);
      const second = setup(2);
      const weightsBefore = weightsOf(second.model);
      first.layer.archStep(first.losses);
      second.layer.archStep(second.losses);
      const difference = maxRelativeError(alphaOf(second.layer), alphaOf(first.layer));
      expect(difference).toBeGreaterThan(1e-4);
      expect(Array.from(alphaOf(second.layer)).every(Number.isFinite)).toBe(true);
      const weightsAfter = Object.fromEntries(weightsOf(second.model));
      for (const [name, values] of weightsBefore) expect(Array.from(weightsAfter[name]!), name).toEqual(Array.from(values));
      for (const p of second.losses.weights as Parameter[]) expect("grad" in p ? p.grad : undefined).toBeUndefined();
    });

    it("with ξ = 0 is the first-order step", () => {
      const first = setup(1);
      const second = setup(2, 0);
      first.layer.archStep(first.losses);
      second.layer.archStep(second.losses);
      expect(Array.from(alphaOf(second.layer))).toEqual(Array.from(alphaOf(first.layer)));
    });

    it("needs the training loss", () => {
      const { layer, losses } = setup(2);
      expect(() => layer.archStep({ validationLoss: losses.validationLoss })).toThrow(/trainingLoss/);
    });
  });

  it("holds the argmax plan to a budget by stepping down the field whose α least prefers its size", () => {
    const layer = new AutoDimSearchLayer({ fieldCardinalities: [10, 10, 10], candidates, seed: 1 });
    const alpha = layer.archParameters()[0]!.value.toArray();
    // Field 0 prefers 16 over 8 by 0.1; field 1 prefers 16 over 8 by 2; field 2 is at 2 already.
    alpha.set([0, 0, 1.9, 2, /**/ 0, 0, 0, 2, /**/ 1, 0, 0, 0]);
    // Argmax: 16, 16, 2 → 340 floats = 1360 bytes. Budget 1100 bytes = 275 floats: field 0 steps 16 → 8 (−80 floats,
    // 260 left), which fits.
    const plan = layer.planWithinBudget(1100);
    expect([plan.tables.field0![0], plan.tables.field1![0], plan.tables.field2![0]]).toEqual([8, 16, 2]);
    expect(planBytes(plan)).toBeLessThanOrEqual(1100);
    // 700 bytes = 175 floats: field 0 goes on down (8 → 4, 4 → 2 cost it 1.9 and 0 in log α) before field 1 moves.
    const tight = layer.planWithinBudget(700);
    expect([tight.tables.field0![0], tight.tables.field1![0], tight.tables.field2![0]]).toEqual([2, 8, 2]);
    expect(() => layer.planWithinBudget(30 * 2 * 4 - 1)).toThrow(/cannot be met/);
  });

  it("rejects bad options, naming them", () => {
    const base = { fieldCardinalities: [3, 4], candidates };
    expect(() => new AutoDimSearchLayer({ ...base, tau: 0 })).toThrow(/tau/);
    expect(() => new AutoDimSearchLayer({ ...base, tau: -1 })).toThrow(RangeError);
    expect(() => new AutoDimSearchLayer({ ...base, candidates: [4, 2, 8] })).toThrow(/strictly increasing/);
    expect(() => new AutoDimSearchLayer({ ...base, candidates: [] })).toThrow(/candidates/);
    expect(() => new AutoDimSearchLayer({ ...base, archEvery: 0 })).toThrow(/archEvery/);
    expect(() => new AutoDimSearchLayer({ ...base, order: 3 as 1 })).toThrow(/order/);
    expect(() => new AutoDimSearchLayer({ ...base, archOptimizer: "rmsprop" as "sgd" })).toThrow(/archOptimizer/);
    expect(() => new AutoDimSearchLayer({ ...base, fieldCardinalities: 3 as unknown as number[] })).toThrow(TypeError);
    const layer = new AutoDimSearchLayer(base);
    expect(() => layer.forward(Int32Array.from([0, 4]))).toThrow(/out of range/);
    expect(() => layer.archStep({} as never)).toThrow(/validationLoss/);
  });
});

describe("inherited retraining", () => {
  it("starts from the chosen candidate with its batch norm folded in: the same logits as the decided supernet", () => {
    const random = rng(testSeed("autodim inherit"));
    const cards = [6, 9, 4];
    for (const shared of [true, false]) {
      const layer = new AutoDimSearchLayer({ fieldCardinalities: cards, candidates, shared, seed: 5 });
      const head = new FieldHead({ cardinalities: layer.cardinalities, dim: layer.dim, hidden: [8], seed: 6 });
      const supernet = new FieldModel(layer, head, layer.cardinalities);
      const optimizer = new Adam(supernet.parameters(), { learningRate: 0.05 });
      forceChoice(layer, [1, 3, 0]);
      for (let t = 0; t < 5; ++t) {                        // moves the weights and the running statistics
        optimizer.zeroGrad();
        const batch = randomBatch(random, cards, 24);
        backward(bceWithLogits(supernet.forward(batch), Tensor.from(new Float32Array(24).fill(1), { shape: [24, 1] })));
        optimizer.step();
      }
      supernet.eval();
      const batch = randomBatch(random, cards, 10);
      const expected = noGrad(() => supernet.forward(batch)).value.toArray().slice();
      const retrained = inheritFromSearch(layer, head, layer.plan(), 1);
      retrained.eval();
      expect(retrained.vectors.parameters().length).toBe(9);                 // 3 tables, 3 × (W, b)
      const logits = noGrad(() => retrained.forward(batch)).value.toArray();
      expect(maxRelativeError(logits, expected), `shared ${shared}`).toBeLessThan(1e-4);
    }
  });

  it("rejects a plan whose sizes are not the layer's candidates", () => {
    const layer = new AutoDimSearchLayer({ fieldCardinalities: [3, 4], candidates, seed: 1 });
    const head = new FieldHead({ cardinalities: layer.cardinalities, dim: layer.dim, seed: 1 });
    const plan = { candidates, tables: { field0: new Int32Array(3).fill(4), field1: new Int32Array(4).fill(6) } };
    expect(() => inheritFromSearch(layer, head, plan)).toThrow(/plan.tables.field1/);
  });
});

describe("AutoDim through search()", () => {
  const settings = { hidden: [16], batchSize: 128, searchEpochs: 2, archLearningRate: 0.05 };

  it("searches per field within a budget, retrains from scratch and beats the base rate", async () => {
    const seed = testSeed("autodim search");
    const result = await search({ method: "autodim", data, candidates, budget: { ratio: 0.5 }, seed, settings });
    expect(result.task).toBe("ctr");
    expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
    for (const sizes of Object.values(result.plan.tables)) {
      expect(candidates).toContain(sizes[0]);
      expect(sizes.every((d) => d === sizes[0])).toBe(true);
    }
    const split = ctrSplit(fields.clicks.length, { seed });
    // Over 10 seeds: 0.02 to 0.03 below the base rate, AUC 0.63 to 0.66.
    expect(result.metrics.testLogLoss).toBeLessThan(baseRateLogLoss(fields, split.train, split.test) - 0.01);
    expect(result.metrics.testAuc).toBeGreaterThan(0.6);
    expect(result.searchMetrics.searchSteps).toBe(2 * Math.ceil(split.train.length / 128));
    expect(result.history.filter((e) => e.phase === "search").length).toBeGreaterThan(2);
  });

  it("gives the layer's argmax as its plan, and retrains by inheriting in either order", async () => {
    const seed = testSeed("autodim inherit search");
    const split = ctrSplit(fields.clicks.length, { seed });
    const searched = await searchAutoDim({ candidates, seed, settings: { ...settings, searchEpochs: 1 }, budgetBytes: undefined,
                                           device: "cpu" }, fields, split.train, split.validation);
    const chosen = searched.layer.argmax();
    Object.values(searched.plan.tables).forEach((sizes, f) => expect(sizes[0]).toBe(candidates[chosen[f]!]));
    const baseRate = baseRateLogLoss(fields, split.train, split.test);
    for (const order of [1, 2]) {
      const result = await search({ method: "autodim", data, candidates, seed,
                                    settings: { ...settings, searchEpochs: 1, bilevelOrder: order, retrain: "inherit" } });
      if (order === 1) expect(Object.values(result.plan.tables).map((t) => t[0])).toEqual(Object.values(searched.plan.tables).map((t) => t[0]));
      // Over 10 seeds: 0.009 to 0.026 below the base rate, AUC 0.61 to 0.66.
      expect(result.metrics.testLogLoss, `order ${order}`).toBeLessThan(baseRate);
      expect(result.metrics.testAuc, `order ${order}`).toBeGreaterThan(0.58);
    }
  });

  for (const shared of [true, false]) {
    it(`holds every field value at every candidate while it searches (shared: ${shared}), past the budget its plan meets`, async () => {
      const cardinalities = [6, 50, 400];
      const small = generateSynthetic({ numUsers: 40, numItems: 30, numRatings: 1500, numFields: 3, fieldCardinalities: cardinalities, seed: 12 });
      const budgetBytes = 6000;
      const result = await search({ method: "autodim", data: small, candidates, seed: 4, budget: { bytes: budgetBytes },
                                    settings: { ...settings, searchEpochs: 1, shared, evaluatePlan: false } });
      // 456 field values, each one 16-float row (its prefixes the candidates) when shared, else
      // 2 + 4 + 8 + 16 = 30 floats of separate blocks: 29 184 or 54 720 bytes.
      const floatsPerValue = shared ? 16 : 2 + 4 + 8 + 16;
      const everyValueAtEveryCandidate = cardinalities.reduce((a, b) => a + b, 0) * floatsPerValue * 4;
      expectSearchPastBudgetPlanWithin(result, everyValueAtEveryCandidate, budgetBytes);
    });
  }

  it("rejects bad settings and a budget below every field at d_min", async () => {
    await expect(search({ method: "autodim", data, candidates, settings: { retrain: "later" } })).rejects.toThrow(/settings.retrain/);
    await expect(search({ method: "autodim", data, candidates, settings: { tau: 0 } })).rejects.toThrow(/tau/);
    await expect(search({ method: "autodim", data, candidates, settings: { order: 3 } })).rejects.toThrow(/order/);
    await expect(search({ method: "autodim", data, candidates, budget: { bytes: 1000 } })).rejects.toThrow(/cannot be met/);
  });
});

describe.runIf(hasCuda)("on CUDA", () => {
  it("a second-order α step, a weight step and the inherited model agree with the CPU", () => {
    const random = rng(testSeed("autodim cuda"));
    const cards = [6, 9, 4];
    const batches = Array.from({ length: 2 }, () => ({
      fields: randomBatch(random, cards, 32),
      labels: Float32Array.from({ length: 32 }, () => (random() < 0.4 ? 1 : 0)),
    }));
    const run = (device: "cpu" | "cuda") => {
      const layer = new AutoDimSearchLayer({ fieldCardinalities: cards, candidates, order: 2, unrolledLearningRate: 0.05,
                                             archOptimizer: "sgd", archLearningRate: 1, seed: 2, device });
      const head = new FieldHead({ cardinalities: layer.cardinalities, dim: layer.dim, hidden: [8], seed: 4, device });
      const model = new FieldModel(layer, head, layer.cardinalities, device);
      const loss = (b: (typeof batches)[number]) => () =>
        bceWithLogits(model.forward(b.fields), Tensor.from(b.labels, { shape: [32, 1], device }));
      layer.setStep(0);
      layer.archStep({ validationLoss: loss(batches[0]!), trainingLoss: loss(batches[1]!), weights: model.parameters() });
      // SGD, not Adam: Adam's first step moves each weight by lr·g/(|g|+ε), so a gradient near ε that
      // differs in its last bits between devices moves a weight by a visibly different amount (logits
      // then differ by ~1e-3); with SGD they agree to ~1e-7. Adam on CUDA has its own test.
      const optimizer = new SGD(model.parameters(), { learningRate: 0.01 });
      optimizer.zeroGrad();
      backward(loss(batches[1]!)());
      optimizer.step();
      const alpha = Float32Array.from(layer.archParameters()[0]!.value.toArray());
      const plan = { candidates, tables: { field0: new Int32Array(6).fill(4), field1: new Int32Array(9).fill(16), field2: new Int32Array(4).fill(2) } };
      const retrained = inheritFromSearch(layer, head, plan, 1).eval();
      const logits = Float32Array.from(noGrad(() => retrained.forward(batches[0]!.fields)).value.toArray());
      return { alpha, logits };
    };
    const cpu = run("cpu");
    const cuda = run("cuda");
    expect(maxRelativeError(cuda.alpha, cpu.alpha)).toBeLessThan(1e-2);
    expect(maxRelativeError(cuda.logits, cpu.logits)).toBeLessThan(1e-3);
  });
});

it("the own-model example searches sizes for a user's MLP, bi-level, and beats its untrained self", async () => {
  const result = await ownModelExample({ log: () => {} });
  expect(result.testAuc).toBeGreaterThan(result.untrainedAuc + 0.05);
  expect(Object.keys(result.plan.tables).length).toBe(4);
  expect(result.archSteps).toBeGreaterThan(0);
});
