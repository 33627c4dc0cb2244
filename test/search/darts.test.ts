/**
 * DARTS: the soft mixture against a float64 reference (softmax(α)-weighted candidates, no noise),
 * its gradients, α moving on the previous batch only, the argmax plan, runs through search() on
 * binary, five-class and CTR data within a budget, and bad input.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { backend, generateSynthetic, loadRatings, Tensor } from "mixdim";
import { linear } from "../../ts/autograd/ops/linear_op.js";
import { mseSigmoid } from "../../ts/autograd/ops/loss_op.js";
import { backward } from "../../ts/autograd/tape.js";
import { Variable } from "../../ts/autograd/variable.js";
import { MixedDimEmbedding } from "../../ts/modules/mixed_dim_embedding.js";
import { Adam } from "../../ts/optim/adam.js";
import { DartsController } from "../../ts/search/darts/darts_controller.js";
import { search } from "../../ts/search/search.js";
import { SoftSelectionEmbedding } from "../../ts/search/soft_selection/soft_selection_embedding.js";
import { SoftSelectionRecommender } from "../../ts/search/soft_selection/soft_recommender.js";
import { batchBounds, runningFrequencies, runSoftStream } from "../../ts/search/soft_selection/soft_stream.js";
import { dartsSelector } from "../../ts/search/darts/darts.js";
import { checkGradients } from "../support/gradient_check.js";
import { maxRelativeError } from "../support/reference_store.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";
import { expectSearchPastBudgetPlanWithin } from "../support/search_bytes.js";


/** v[b] = Σ_m softmax(α[id_b])_m · tanh(γ·BN_m(W_m e[:d_m] + b_m) + β) in float64, batch statistics per branch. */
function referenceMixture(emb: SoftSelectionEmbedding, alpha: Float32Array, ids: Int32Array): Float64Array {
  const dims = emb.candidates;
  const M = dims.length;
  const D = emb.dim;
  const S = dims.reduce((a, d) => a + d, 0);
  const K = dims[M - 1]!;
  const B = ids.length;
  const rows = emb.table.store.readRows(ids);
  const W = emb.weights.value.toArray();
  const bias = emb.biases.value.toArray();
  const gamma = emb.gamma.value.toArray();
  const beta = emb.beta.value.toArray();
  const h = new Float64Array(B * M * D);
  let offset = 0;
  dims.forEach((d, m) => {
    for (let b = 0; b < B; ++b) {
      for (let j = 0; j < D; ++j) {
        let sum = bias[m * D + j]!;
        for (let k = 0; k < d; ++k) sum += W[j * S + offset + k]! * rows[b * K + k]!;
        h[(b * M + m) * D + j] = sum;
      }
    }
    offset += d;
  });
  const z = new Float64Array(B * M * D);
  for (let m = 0; m < M; ++m) {
    for (let j = 0; j < D; ++j) {
      let mean = 0;
      for (let b = 0; b < B; ++b) mean += h[(b * M + m) * D + j]!;
      mean /= B;
      let variance = 0;
      for (let b = 0; b < B; ++b) variance += (h[(b * M + m) * D + j]! - mean) ** 2;
      variance /= B;
      for (let b = 0; b < B; ++b) {
        const normalised = (h[(b * M + m) * D + j]! - mean) / Math.sqrt(variance + 1e-5);
        z[(b * M + m) * D + j] = Math.tanh(gamma[j]! * normalised + beta[j]!);
      }
    }
  }
  const out = new Float64Array(B * D);
  for (let b = 0; b < B; ++b) {
    const logits = Array.from({ length: M }, (_, m) => alpha[ids[b]! * M + m]!);
    const top = Math.max(...logits);
    const e = logits.map((x) => Math.exp(x - top));
    const total = e.reduce((a, x) => a + x, 0);
    for (let m = 0; m < M; ++m) for (let j = 0; j < D; ++j) out[b * D + j]! += (e[m]! / total) * z[(b * M + m) * D + j]!;
  }
  return out;
}

function setup(seed: number) {
  const random = rng(seed);
  const numIds = randomInt(random, 4, 12);
  const candidates = [2, 3, 8].slice(0, randomInt(random, 2, 4));
  const emb = new SoftSelectionEmbedding({ numIds, candidates, dim: randomInt(random, 3, 9), seed, initStd: 0.7 });
  emb.gamma.value.toArray().set(randomFloats(random, emb.dim, 1.5));
  emb.beta.value.toArray().set(randomFloats(random, emb.dim, 0.5));
  const controller = new DartsController({ numIds, candidates });
  const alpha = randomFloats(random, numIds * candidates.length, 2);
  controller.alpha.store.writeRows(Int32Array.from({ length: numIds }, (_, i) => i), alpha);
  // Three distinct ids first: a batch of one repeated id has no variance for the batch norm to divide by.
  const ids = Int32Array.from({ length: randomInt(random, 4, 10) }, (_, b) => (b < 3 ? b : randomInt(random, 0, numIds)));
  return { random, emb, controller, alpha, ids };
}

describe("DARTS per id: the soft mixture", () => {
  it("without noise equals the softmax mixture Σ softmax(α)_m·z_m (float64 reference)", () => {
    const seed = testSeed("darts mixture");
    for (let trial = 0; trial < 4; ++trial) {
      const { emb, controller, alpha, ids } = setup(seed + trial);
      const v = emb.forward(ids, controller.weights(ids));
      expect(v.shape).toEqual([ids.length, emb.dim]);
      expect(maxRelativeError(v.value.toArray(), referenceMixture(emb, alpha, ids))).toBeLessThan(1e-4);
    }
  });

  it("back-propagates into α, the projections, the shared γ and β (finite differences)", () => {
    const { random, emb, controller, ids } = setup(testSeed("darts gradients"));
    const readout = new Variable(Tensor.from(randomFloats(random, emb.dim), { shape: [emb.dim, 1] }));
    const labels = Tensor.from(Float32Array.from(ids, (_, b) => b % 2), { shape: [ids.length, 1] });
    const loss = () => mseSigmoid(linear(emb.forward(ids, controller.weights(ids)), readout), labels, "sum");
    checkGradients(loss, [emb.weights, emb.biases, emb.gamma, emb.beta], random, { h: 2e-3, tolerance: 3e-2 });
    // α is row-sparse: compare its gradient with differences of the loss in α.
    controller.zeroGrad();
    backward(loss());
    const gradient = controller.alpha.weight.gradient()!;
    const gradIds = gradient.ids.toArray();
    const grads = gradient.grad.toArray();
    const m = emb.candidates.length;
    const analytic = new Map<number, Float64Array>();
    gradIds.forEach((id, r) => {
      const sum = analytic.get(id) ?? new Float64Array(m);
      for (let c = 0; c < m; ++c) sum[c]! += grads[r * m + c]!;
      analytic.set(id, sum);
    });
    const id = ids[0]!;
    const row = controller.logits([id]);
    for (let c = 0; c < m; ++c) {
      const at = (delta: number) => {
        const shifted = row.slice();
        shifted[c]! += delta;
        controller.alpha.store.writeRows([id], shifted);
        const value = loss().value.toArray()[0]!;
        controller.alpha.store.writeRows([id], row);
        return value;
      };
      const numeric = (at(2e-3) - at(-2e-3)) / 4e-3;
      expect(Math.abs(numeric - analytic.get(id)![c]!)).toBeLessThan(3e-2 * Math.max(1, Math.abs(numeric)));
    }
    controller.zeroGrad();
  });

  it("takes each id's argmax as its size and cuts a MixedDimEmbedding to it", () => {
    const candidates = [2, 4, 8];
    const controller = new DartsController({ numIds: 5, candidates, learningRate: 0.1 });
    expect(Array.from(controller.sizes())).toEqual([2, 2, 2, 2, 2]);
    // Push id 1 towards candidate 2 and id 3 towards candidate 1: loss = −w[b, target_b].
    const ids = Int32Array.of(1, 3, 1);
    const target = [2, 1, 2];
    const w = controller.weights(ids);
    const pick = new Float32Array(3 * 3);
    target.forEach((t, b) => { pick[b * 3 + t] = -1; });
    // The gradient of Σ_b −w[b, t_b] with respect to w is `pick`: seed the backward with it.
    backward(w, Tensor.from(pick, { shape: [3, 3] }));
    controller.step();
    expect(Array.from(controller.sizes())).toEqual([2, 8, 2, 4, 2]);
    expect(Array.from(controller.argmax())).toEqual([0, 2, 0, 1, 0]);
    expect(controller.bytes()).toBe((2 + 8 + 2 + 4 + 2) * 4);
    // The kept argmax agrees with α read back in full; untouched ids kept α = 0.
    const alpha = controller.logits();
    for (const id of [0, 2, 4]) expect(alpha.subarray(id * 3, id * 3 + 3).every((x) => x === 0)).toBe(true);
    const embedding = new MixedDimEmbedding({ candidates, sizes: new Int32Array(5).fill(8), initStd: 1, seed: 3 });
    const before = embedding.store.readRows([1, 3]);
    controller.resize(embedding);
    expect(Array.from(embedding.sizes())).toEqual([2, 8, 2, 4, 2]);
    const after = embedding.store.readRows([1, 3]);
    expect(Array.from(after.subarray(0, 8))).toEqual(Array.from(before.subarray(0, 8)));
    expect(Array.from(after.subarray(8, 12))).toEqual(Array.from(before.subarray(8, 12)));
    expect(Array.from(after.subarray(12, 16))).toEqual([0, 0, 0, 0]);
  });
});

describe("DARTS per id: the stream", () => {
  it("moves α on the previous batch only, and trains the recommender on the current one", async () => {
    // Three batches of four with disjoint users: α may move for batches 0 and 1 (each the
    // "previous" batch of the next), never for batch 2 (the last) or for users never seen.
    const numUsers = 14;
    const users = Int32Array.from({ length: 12 }, (_, r) => r);
    const items = Int32Array.from({ length: 12 }, (_, r) => r % 3);
    const ratings = Float32Array.from({ length: 12 }, (_, r) => 1 + (r * 7) % 5);
    const events = { users, items, ratings, timestamps: Float64Array.from(users) };
    const order = Int32Array.from(users);
    const candidates = [2, 4];
    const model = new SoftSelectionRecommender({ numUsers, numItems: 3, candidates, outputs: 1, hidden: 8, seed: 1 });
    const selector = dartsSelector({ numUsers, numItems: 3, candidates, task: "binary", maxFrequency: 12, seed: 1, device: "cpu",
                                     settings: { alphaLearningRate: 0.05 } });
    const everyUser = Int32Array.from({ length: numUsers }, (_, i) => i);
    const rowsBefore = model.users.table.store.readRows(everyUser);
    const frequencies = runningFrequencies(events, order, numUsers, 3);
    await runSoftStream(model, new Adam(model.parameters(), { learningRate: 0.01 }), selector, { ...events, ...frequencies },
                  { train: order, test: new Int32Array(0) }, { task: "binary", batchSize: 4 });
    const alpha = selector.users.logits();
    const alphaMoved = (id: number) => alpha.subarray(id * 2, id * 2 + 2).some((x) => x !== 0);
    for (let id = 0; id < 8; ++id) expect(alphaMoved(id), `α of user ${id} (batches 0, 1)`).toBe(true);
    for (let id = 8; id < 14; ++id) expect(alphaMoved(id), `α of user ${id} (batch 2, or unseen)`).toBe(false);
    const rowsAfter = model.users.table.store.readRows(everyUser);
    const width = 4;
    const rowMoved = (id: number) => rowsAfter.subarray(id * width, (id + 1) * width).some((x, k) => x !== rowsBefore[id * width + k]);
    for (let id = 0; id < 12; ++id) expect(rowMoved(id), `user ${id}'s row`).toBe(true);
    for (const id of [12, 13]) expect(rowMoved(id), `user ${id}'s row`).toBe(false);
  });

  it("joins a last batch of one row to the one before (batch norm needs two)", () => {
    expect(batchBounds(9, 4)).toEqual([0, 4, 9]);
    expect(batchBounds(8, 4)).toEqual([0, 4, 8]);
    expect(batchBounds(1, 4)).toEqual([0, 1]);
    expect(batchBounds(0, 4)).toEqual([0]);
  });
});

describe("DARTS through search()", () => {
  const data = generateSynthetic({ numUsers: 120, numItems: 80, numRatings: 4000, seed: 5 });
  const small = { batchSize: 200, hidden: 64 };

  for (const task of ["binary", "multiclass"] as const) {
    it(`${task}: searches per id on the stream, reports the soft model's prequential numbers and the plan's, within the budget`, async () => {
      const phases = new Set<string>();
      let lastSearch: { step: number; total?: number } | undefined;
      const result = await search({ method: "darts", data, task, seed: 3, budget: { ratio: 0.4 }, settings: small,
                                    onProgress: (p) => { phases.add(p.phase); if (p.phase === "search") lastSearch = p; } });
      // Progress counts batches done, so the search phase ends at its total.
      expect(lastSearch!.step).toBe(lastSearch!.total);
      expect(result.searchMetrics.samplesPerSecond).toBeGreaterThan(0);
      expect(result.task).toBe(task);
      expect(Object.keys(result.plan.tables).sort()).toEqual(["items", "users"]);
      expect(result.plan.tables.users!.length).toBe(data.numUsers);
      expect(result.plan.tables.users!.every((d) => [2, 4, 8, 16, 64, 128].includes(d))).toBe(true);
      expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
      expect(result.ratio).toBeLessThanOrEqual(0.4 + 1e-9);
      expect([...phases]).toEqual(expect.arrayContaining(["search", "test", "plan"]));
      const { testAccuracy, majorityAccuracy } = result.metrics;
      const { testAccuracy: searchTestAccuracy, testLoss: searchTestLoss } = result.searchMetrics;
      expect(testAccuracy).toBeGreaterThan(0);
      // The soft model learns on the stream (prequential): binary accuracy beats the majority class
      // (by 0.12 to 0.17 over data seeds 1, 5, 7, 11), five-class cross-entropy the uniform ln 5.
      if (task === "binary") expect(searchTestAccuracy).toBeGreaterThan(majorityAccuracy! + 0.05);
      else expect(searchTestLoss).toBeLessThan(Math.log(5) - 0.1);
      console.log(`darts ${task}`, JSON.stringify(result.metrics), "ratio", result.ratio);
    });
  }

  it("without a budget, the plan is the argmax of α as the search left it (every id seen or not)", async () => {
    const result = await search({ method: "darts", data, seed: 4, settings: { ...small, evaluatePlan: false, alphaLearningRate: 0.05 } });
    expect(result.budgetBytes).toBeUndefined();
    expect(result.metrics).toEqual({});
    expect(Object.keys(result.searchMetrics).sort()).toEqual(["samplesPerSecond", "testAccuracy", "testLoss", "trainAccuracy", "trainLoss"]);
    // With a large α step α has moved for most ids, so the plan is not uniform.
    const sizes = new Set([...result.plan.tables.users!, ...result.plan.tables.items!]);
    expect(sizes.size).toBeGreaterThan(1);
  });

  it("searches and evaluates in the reference's shuffled order with settings.order \"shuffle\", and rejects other orders", async () => {
    const timeOrdered = await search({ method: "darts", data, seed: 9, settings: small });
    const shuffled = await search({ method: "darts", data, seed: 9, settings: { ...small, order: "shuffle" } });
    expect(shuffled.searchMetrics.testLoss).not.toBe(timeOrdered.searchMetrics.testLoss);
    expect(shuffled.metrics.testLoss).not.toBe(timeOrdered.metrics.testLoss);
    await expect(search({ method: "darts", data, seed: 9, settings: { ...small, order: "random" } })).rejects.toThrow(/settings\.order/);
  });

  it("gives the same plan for the same seed, and stops when aborted", async () => {
    const settings = { ...small, evaluatePlan: false, alphaLearningRate: 0.05 };
    const a = await search({ method: "darts", data, seed: 8, settings });
    const b = await search({ method: "darts", data, seed: 8, settings });
    expect(Array.from(b.plan.tables.users!)).toEqual(Array.from(a.plan.tables.users!));
    expect(Array.from(b.plan.tables.items!)).toEqual(Array.from(a.plan.tables.items!));
    const controller = new AbortController();
    const aborted = search({ method: "darts", data, seed: 8, settings, signal: controller.signal,
                             onProgress: (p) => { if (p.step === 2) controller.abort(); } });
    await expect(aborted).rejects.toThrow(/abort/i);
  });

  it("ctr: searches per field (softmax mixture, α on validation) and every id of a field gets the field's size", async () => {
    const ctr = generateSynthetic({ numUsers: 50, numItems: 40, numRatings: 3000, numFields: 4, fieldCardinalities: [5, 30, 200, 8], seed: 6 });
    const result = await search({ method: "darts", data: ctr, task: "ctr", candidates: [2, 4, 8], seed: 2,
                                  settings: { batchSize: 256, alphaLearningRate: 0.05 } });
    expect(Object.keys(result.plan.tables).sort()).toEqual(["field0", "field1", "field2", "field3"]);
    for (const sizes of Object.values(result.plan.tables)) expect(new Set(sizes).size).toBe(1);
    expect(result.searchMetrics.testAuc).toBeGreaterThan(0.5);
    expect(result.metrics.testAuc).toBeGreaterThan(0.5);
    const budgeted = await search({ method: "darts", data: ctr, task: "ctr", candidates: [2, 4, 8], seed: 2, budget: { ratio: 0.3 },
                                    settings: { batchSize: 256, evaluatePlan: false } });
    expect(budgeted.bytes).toBeLessThanOrEqual(budgeted.budgetBytes!);
  });

  it("holds every user and item at every candidate while it searches, past the budget its plan meets", async () => {
    const budgetBytes = 30_000;
    const result = await search({ method: "darts", data, seed: 3, budget: { bytes: budgetBytes },
                                  settings: { ...small, evaluatePlan: false } });
    // Each id's candidates are the prefixes of one 128-float row: (120 + 80) × 128 × 4 = 102 400 bytes.
    const everyIdAtEveryCandidate = (data.numUsers + data.numItems) * 128 * 4;
    expectSearchPastBudgetPlanWithin(result, everyIdAtEveryCandidate, budgetBytes);
  });

  it("ctr: holds every field value at every candidate while it searches, past the budget its plan meets", async () => {
    const cardinalities = [5, 30, 200, 8];
    const ctr = generateSynthetic({ numUsers: 50, numItems: 40, numRatings: 1000, numFields: 4, fieldCardinalities: cardinalities, seed: 6 });
    const budgetBytes = 2400;
    const result = await search({ method: "darts", data: ctr, task: "ctr", candidates: [2, 4, 8], seed: 2, budget: { bytes: budgetBytes },
                                  settings: { batchSize: 256, evaluatePlan: false } });
    // One 8-float row per field value, the candidates its prefixes: 243 × 8 × 4 = 7776 bytes.
    const everyValueAtEveryCandidate = cardinalities.reduce((a, b) => a + b, 0) * 8 * 4;
    expectSearchPastBudgetPlanWithin(result, everyValueAtEveryCandidate, budgetBytes);
  });

  it("rejects bad input with errors that name it", async () => {
    await expect(search({ method: "darts", data, task: "implicit" })).rejects.toThrow(/does not take task "implicit"/);
    await expect(search({ method: "darts", data, settings: { batchSize: 1 } })).rejects.toThrow(/settings\.batchSize/);
    await expect(search({ method: "darts", data, settings: { alphaLearningRate: "fast" } })).rejects.toThrow(TypeError);
    await expect(search({ method: "darts", data, budget: { ratio: 0.001 } })).rejects.toThrow(/cannot be met/);
    expect(() => new DartsController({ numIds: 3, candidates: [4, 2] })).toThrow(/strictly increasing/);
    expect(() => new DartsController({ numIds: 0, candidates: [2] })).toThrow(/numIds/);
    const controller = new DartsController({ numIds: 3, candidates: [2, 4] });
    expect(() => controller.weights([0, 3])).toThrow(/ids\[1\] = 3 is out of range \[0, 3\)/);
    expect(() => controller.resize(new MixedDimEmbedding({ candidates: [2, 4], sizes: [4, 4] }))).toThrow(/2 rows/);
    const emb = new SoftSelectionEmbedding({ numIds: 3, candidates: [2, 4] });
    expect(() => emb.forward([0, 1], controller.weights([0, 1, 2]))).toThrow(/w has shape \[3, 2\]/);
  });
});

describe.runIf(backend().cudaDevices.length > 0)("DARTS on CUDA", () => {
  it("the soft mixture on the GPU equals the CPU's", () => {
    const seed = testSeed("darts cuda");
    const make = (device: "cpu" | "cuda") => {
      const emb = new SoftSelectionEmbedding({ numIds: 9, candidates: [2, 4, 8], dim: 8, seed, initStd: 0.5, device });
      const controller = new DartsController({ numIds: 9, candidates: [2, 4, 8], device });
      controller.alpha.store.writeRows(Int32Array.from({ length: 9 }, (_, i) => i), randomFloats(rng(seed), 27, 2));
      return { emb, controller };
    };
    const ids = Int32Array.of(0, 3, 3, 8, 5);
    const cpu = make("cpu");
    const gpu = make("cuda");
    const a = cpu.emb.forward(ids, cpu.controller.weights(ids)).value.toArray();
    const b = gpu.emb.forward(ids, gpu.controller.weights(ids)).value.toArray();
    expect(maxRelativeError(b, a)).toBeLessThan(1e-4);
  });
});

// MovieLens from ../shared/data (skipped without it), bounded: the first 20k ratings of the file, one pass.
const movieLens = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/data");
for (const [name, file] of [["ml-100k", "ml-100k/u.data"], ["ml-latest-small", "ml-latest-small/ratings.csv"]] as const) {
  describe.skipIf(!existsSync(path.join(movieLens, file)))(`DARTS on ${name}`, () => {
    it("binary: runs the stream and ends with a plan within a 50% budget", async () => {
      const { dataset } = await loadRatings(path.join(movieLens, file));
      const n = Math.min(20_000, dataset.users.length);
      const head = { ...dataset, users: dataset.users.subarray(0, n), items: dataset.items.subarray(0, n),
                     ratings: dataset.ratings.subarray(0, n), timestamps: dataset.timestamps.subarray(0, n) };
      const result = await search({ method: "darts", data: head, seed: 1, budget: { ratio: 0.5 } });
      console.log(name, "darts", JSON.stringify(result.metrics), "ratio", result.ratio);
      expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
      // One pass over 15k ratings learns little (the soft model is within a few points of the majority
      // class here); learning is asserted on the synthetic streams above.
      for (const value of Object.values(result.metrics)) expect(Number.isFinite(value)).toBe(true);
      expect(result.searchMetrics.testAccuracy).toBeGreaterThan(0.5);
    // Seconds on the CPU build; CI also runs it on the sanitizer build, where it takes about a minute.
    }, 180_000);
  });
}
