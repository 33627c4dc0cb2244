import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { backend, generateSynthetic, loadRatings, MlpRecommender, MixedDimEmbedding, noGrad, ProjectionChain, Tensor } from "mixdim";
import { main as ownModel } from "../../examples/esapn_own_model.js";
import { search } from "../../ts/search/search.js";
import { EsapnController } from "../../ts/search/esapn/controller.js";
import { enlargeRows } from "../../ts/search/esapn/enlarge.js";
import { runEsapnStream } from "../../ts/search/esapn/esapn.js";
import { LossHistory } from "../../ts/search/esapn/loss_history.js";
import { reinforceGradient, SizePolicy } from "../../ts/search/esapn/policy.js";
import { RunningFrequency } from "../../ts/search/esapn/running_frequency.js";
import { Adam } from "../../ts/optim/adam.js";
import { backward } from "../../ts/autograd/tape.js";
import { rng, testSeed } from "../support/random.js";

const seed = testSeed("esapn");
const candidates = [2, 4, 8, 16, 64, 128];
const data = generateSynthetic({ numUsers: 120, numItems: 80, numRatings: 4000, seed: seed % 1000 });

function randomSizes(n: number, random: () => number, dims: readonly number[] = candidates): Int32Array {
  return Int32Array.from({ length: n }, () => dims[Math.floor(random() * (dims.length - 1))]!);
}

/** The side's chain output before batch norm, [B, d_n], as a host array. */
function preNorm(model: MlpRecommender, ids: Int32Array): Float32Array {
  const side = model.users;
  const sizes = side.embedding.sizes();
  return noGrad(() => side.chain!.forward(side.embedding.forward(ids), Int32Array.from(ids, (id) => sizes[id]!))).value.toArray();
}

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; ++i) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

describe("enlarge", () => {
  it("keeps the model's output before batch norm unchanged, and writes W_k·e + b_k at d_{k+1}", () => {
    const random = rng(seed);
    const plan = { candidates, tables: { users: randomSizes(50, random), items: randomSizes(40, random) } };
    const model = new MlpRecommender({ plan, outputs: 1, seed, initStd: 0.5 });
    const ids = Int32Array.from({ length: 64 }, () => Math.floor(random() * 50));
    const before = preNorm(model, ids);
    const logitsBefore = noGrad(() => model.forward(ids, ids.map((i) => i % 40))).value.toArray();
    const grown = Int32Array.from(new Set(Array.from(ids.slice(0, 20))));
    const oldSizes = model.users.embedding.sizes();
    const oldRows = model.users.embedding.store.readRows(grown);
    enlargeRows(model.users.embedding, model.users.chain!, grown);

    const sizes = model.users.embedding.sizes();
    const weights = model.users.chain!.weights.value.toArray();
    const biases = model.users.chain!.biases.value.toArray();
    const layout = model.users.chain!.layout;
    const newRows = model.users.embedding.store.readRows(grown);
    grown.forEach((id, r) => {
      const k = candidates.indexOf(oldSizes[id]!);
      expect(sizes[id]).toBe(candidates[k + 1]);
      // Float64 reference of the link: W_k (d_{k+1} × d_k, row-major) · e + b_k.
      const [d, next] = [candidates[k]!, candidates[k + 1]!];
      for (let o = 0; o < next; ++o) {
        let sum = biases[layout.biasOffsets[k]! + o]!;
        for (let i = 0; i < d; ++i) sum += weights[layout.weightOffsets[k]! + o * d + i]! * oldRows[r * 128 + i]!;
        expect(Math.abs(newRows[r * 128 + o]! - sum)).toBeLessThan(1e-5 * Math.max(1, Math.abs(sum)));
      }
    });
    expect(maxRelative(preNorm(model, ids), before)).toBeLessThan(1e-5);
    const logitsAfter = noGrad(() => model.forward(ids, ids.map((i) => i % 40))).value.toArray();
    expect(maxRelative(logitsAfter, logitsBefore)).toBeLessThan(1e-4);
    expect(model.users.embedding.store.bytes().rows).toBe(sizes.reduce((a, d) => a + d, 0) * 4);
  });

  it("leaves ids at the largest candidate where they are", () => {
    const embedding = new MixedDimEmbedding({ candidates: [2, 4], sizes: [4, 2], seed });
    const chain = new ProjectionChain({ dims: [2, 4], seed });
    expect(Array.from(enlargeRows(embedding, chain, [0, 1]))).toEqual([4, 4]);
    expect(Array.from(embedding.sizes())).toEqual([4, 4]);
  });
});

describe("policy", () => {
  it("REINFORCE's gradient is r·(π − onehot(a)), the derivative of −r·log π(a)", () => {
    const random = rng(seed + 1);
    const logits = Float32Array.from({ length: 8 }, () => 4 * random() - 2);
    const actions = Uint8Array.of(0, 1, 1, 0);
    const rewards = Float32Array.of(0.7, -0.3, 1.2, 0);
    const objective = (z: Float64Array) => {
      let total = 0;
      for (let b = 0; b < 4; ++b) {
        const logSum = Math.log(Math.exp(z[2 * b]!) + Math.exp(z[2 * b + 1]!));
        total -= rewards[b]! * (z[2 * b + actions[b]!]! - logSum);
      }
      return total;
    };
    const grad = reinforceGradient(logits, actions, rewards);
    for (let i = 0; i < 8; ++i) {
      const up = Float64Array.from(logits);
      const down = Float64Array.from(logits);
      up[i]! += 1e-5;
      down[i]! -= 1e-5;
      expect(grad[i]!).toBeCloseTo((objective(up) - objective(down)) / 2e-5, 5);
    }
  });

  it("a positive reward makes the taken action more likely after one update, a negative one less", () => {
    for (const sign of [1, -1]) {
      const policy = new SizePolicy({ numSizes: 6, seed });
      const optimizer = new Adam(policy.parameters(), { learningRate: 1e-3 });
      const random = rng(seed + 2);
      const frequencies = Int32Array.from({ length: 64 }, () => 1 + Math.floor(random() * 40));
      const sizes = Int32Array.from({ length: 64 }, () => Math.floor(random() * 5));
      const actions = Uint8Array.from({ length: 64 }, () => (random() < 0.5 ? 1 : 0));
      const logProbability = () => {
        const z = noGrad(() => policy.forward(frequencies, sizes)).value.toArray();
        return Array.from(actions, (a, b) => z[2 * b + a]! - Math.log(Math.exp(z[2 * b]!) + Math.exp(z[2 * b + 1]!)))
          .reduce((x, y) => x + y, 0);
      };
      const before = logProbability();
      const logits = policy.forward(frequencies, sizes);
      optimizer.zeroGrad();
      backward(logits, Tensor.from(reinforceGradient(logits.value.toArray(), actions, new Float32Array(64).fill(sign)),
                                   { shape: [64, 2] }));
      optimizer.step();
      expect(Math.sign(logProbability() - before)).toBe(sign);
    }
  });

  it("greedyActions on a few rows gives forward()'s argmax there and the same running statistics", () => {
    const random = rng(seed + 3);
    const frequencies = Int32Array.from({ length: 200 }, () => 1 + Math.floor(random() * 300));
    const sizes = Int32Array.from({ length: 200 }, () => Math.floor(random() * 5));
    const rows = Int32Array.from([0, 17, 42, 99, 150, 199]);
    const full = new SizePolicy({ numSizes: 6, seed: seed + 4 });
    const few = new SizePolicy({ numSizes: 6, seed: seed + 4 });
    // Train a little first, so that γ, β and the frequency table are not at their initial values.
    const optimizer = new Adam(few.parameters(), { learningRate: 1e-2 });
    backward(few.forward(frequencies, sizes), Tensor.from(Float32Array.from({ length: 400 }, () => random() - 0.5), { shape: [200, 2] }));
    optimizer.step();
    full.load(few.state());
    const logits = noGrad(() => full.forward(frequencies, sizes)).value.toArray();
    const actions = few.greedyActions(frequencies, sizes, rows);
    rows.forEach((b, r) => {
      const margin = Math.abs(logits[2 * b + 1]! - logits[2 * b]!);
      if (margin > 1e-4) expect(actions[r], `row ${b}`).toBe(logits[2 * b + 1]! > logits[2 * b]! ? 1 : 0);
    });
    for (const name of ["hiddenNorm.runningMean", "hiddenNorm.runningVar", "frequencyNorm.runningMean", "frequencyNorm.runningVar"]) {
      expect(maxRelative(few.state()[name]!, full.state()[name]!), name).toBeLessThan(1e-5);
    }
    // Many rows (over a quarter of the batch) take forward() itself: its argmax exactly.
    const many = Int32Array.from({ length: 100 }, (_, r) => 2 * r);
    const again = new SizePolicy({ numSizes: 6, seed: seed + 4 });
    again.load(full.state());
    const manyLogits = noGrad(() => full.forward(frequencies, sizes)).value.toArray();
    expect(Array.from(again.greedyActions(frequencies, sizes, many)))
      .toEqual(Array.from(many, (b) => (manyLogits[2 * b + 1]! > manyLogits[2 * b]! ? 1 : 0)));
    expect(() => few.greedyActions(frequencies, sizes, Int32Array.of(200))).toThrow(/rows\[0\] = 200 is out of range \[0, 200\)/);
  });
});

describe("loss history and frequencies", () => {
  it("keeps the last T losses per id, the later of a batch's duplicates, counting once per batch", () => {
    const history = new LossHistory(3, 2);
    history.record(Int32Array.of(0, 1, 0), Float32Array.of(1, 5, 3));
    expect(history.count(0)).toBe(1);
    history.record(Int32Array.of(0), Float32Array.of(5));
    history.record(Int32Array.of(0), Float32Array.of(7));
    const out = new Float32Array(3);
    expect(Array.from(history.mean(Int32Array.of(0, 1, 2), out))).toEqual([6, 5, NaN]);
    expect(Array.from(history.last(Int32Array.of(0, 1, 2), out))).toEqual([7, 5, NaN]);
  });

  it("grows with the stream's new ids, at least doubling, keeping every id's losses and starting new ids empty", () => {
    const history = new LossHistory(2, 2);
    history.record(Int32Array.of(0, 1), Float32Array.of(1, 2));
    history.grow(3);
    expect(history.numRows).toBe(4);
    history.grow(4);
    expect(history.numRows).toBe(4);
    history.grow(9);
    expect(history.numRows).toBe(9);
    history.record(Int32Array.of(8), Float32Array.of(3));
    expect(Array.from(history.last(Int32Array.of(0, 1, 5, 8), new Float32Array(4)))).toEqual([1, 2, NaN, 3]);
  });

  it("counts each id's occurrences so far, the current one included", () => {
    const frequency = new RunningFrequency(2);
    expect(Array.from(frequency.next(Int32Array.of(1, 1, 0)))).toEqual([1, 2, 1]);
    expect(Array.from(frequency.next(Int32Array.of(1, 4)))).toEqual([3, 1]);
  });
});

/** A tiny loop of the user's kind: two tables and chains, the controller, and losses fed in. */
function toyController(options: { storage?: "lean" | "all-sizes"; baseline?: "mean" | "last" } = {}) {
  const dims = [2, 4, 8];
  const users = new MixedDimEmbedding({ candidates: dims, sizes: new Int32Array(30).fill(2), seed });
  const items = new MixedDimEmbedding({ candidates: dims, sizes: new Int32Array(20).fill(2), seed: seed + 1 });
  const controller = new EsapnController({
    sides: { users: { embedding: users, chain: new ProjectionChain({ dims, seed }) },
             items: { embedding: items, chain: new ProjectionChain({ dims, seed: seed + 1 }) } },
    seed, hidden: 32, ...options,
  });
  return { users, items, controller };
}

describe("EsapnController", () => {
  it("rewards the mean of each id's last T losses minus the loss after the step (or the last loss minus it)", () => {
    for (const [baseline, expected] of [["mean", 0.55], ["last", 0.3]] as const) {
      const { controller } = toyController({ baseline });
      const batch = { users: { ids: Int32Array.of(0, 1), frequencies: Int32Array.of(1, 1) },
                      items: { ids: Int32Array.of(2, 3), frequencies: Int32Array.of(1, 1) } };
      controller.observe(batch, Float32Array.of(1, 1));
      controller.observe({ users: { ...batch.users, frequencies: Int32Array.of(2, 2) },
                           items: { ...batch.items, frequencies: Int32Array.of(2, 2) } }, Float32Array.of(0.5, 0.5));
      const rewards = controller.update(Float32Array.of(0.2, 0.2));
      expect(rewards.users).toBeCloseTo(expected, 6);
      expect(rewards.items).toBeCloseTo(expected, 6);
    }
  });

  it("never shrinks a size, grows an id at most one step per batch, and holds only the current sizes", () => {
    const { users, items, controller } = toyController();
    const random = rng(seed + 3);
    const frequencies = { users: new RunningFrequency(30), items: new RunningFrequency(20) };
    let sizes = { users: users.sizes(), items: items.sizes() };
    let grew = 0;
    for (let t = 0; t < 40; ++t) {
      const u = Int32Array.from({ length: 16 }, () => Math.floor(random() * 30));
      const i = Int32Array.from({ length: 16 }, () => Math.floor(random() * 20));
      const batch = { users: { ids: u, frequencies: frequencies.users.next(u) }, items: { ids: i, frequencies: frequencies.items.next(i) } };
      if (t > 0) controller.update(Float32Array.from({ length: 16 }, () => random()));
      controller.act(batch);
      controller.observe(batch, Float32Array.from({ length: 16 }, () => random()));
      const now = { users: users.sizes(), items: items.sizes() };
      for (const side of ["users", "items"] as const) {
        now[side].forEach((d, id) => {
          const step = [2, 4, 8].indexOf(d) - [2, 4, 8].indexOf(sizes[side][id]!);
          expect(step).toBeGreaterThanOrEqual(0);
          expect(step).toBeLessThanOrEqual(1);
          grew += step;
        });
      }
      sizes = now;
      const memory = controller.memory();
      expect(memory.bytes).toBe(memory.rowBytes);
      expect(memory.rowBytes).toBe([...sizes.users, ...sizes.items].reduce((a, d) => a + d, 0) * 4);
    }
    expect(grew).toBeGreaterThan(0);
  });

  it("keeps every size for batches of fewer than two samples (the policy's batch norm needs two)", () => {
    const { users, controller } = toyController();
    for (const ids of [Int32Array.of(1), new Int32Array(0)]) {
      const batch = { users: { ids, frequencies: ids.map(() => 1) }, items: { ids, frequencies: ids.map(() => 1) } };
      expect(controller.act(batch)).toEqual({ users: 0, items: 0 });
      controller.observe(batch, new Float32Array(ids.length).fill(0.5));
      expect(controller.update(new Float32Array(ids.length).fill(0.1))).toEqual({ users: 0, items: 0 });
    }
    expect(users.sizes().every((d) => d === 2)).toBe(true);
  });

  it("counts the reference's all-sizes storage as every candidate of every id", () => {
    const { controller } = toyController({ storage: "all-sizes" });
    const memory = controller.memory();
    expect(memory.bytes).toBe(50 * (2 + 4 + 8) * 4);
    expect(memory.fixedBytes).toBe(50 * 8 * 4);
  });

  it("rejects bad input with errors that name the argument", () => {
    const { users, controller } = toyController();
    expect(() => new EsapnController({ sides: {} })).toThrow(/sides/);
    expect(() => new EsapnController({ sides: { users: { embedding: users, chain: new ProjectionChain({ dims: [2, 4] }) } } }))
      .toThrow(/sides\.users\.chain has dims \[2, 4\]/);
    expect(() => new EsapnController({ sides: { users: { embedding: {} as MixedDimEmbedding, chain: new ProjectionChain({ dims: [2, 4] }) } } }))
      .toThrow(TypeError);
    expect(() => toyController({ storage: "dense" as "lean" })).toThrow(/storage/);
    const ok = { ids: Int32Array.of(0), frequencies: Int32Array.of(1) };
    expect(() => controller.act({ users: ok } as never)).toThrow(/batch\.items must be/);
    expect(() => controller.act({ users: { ids: Int32Array.of(30), frequencies: Int32Array.of(1) }, items: ok }))
      .toThrow(/batch\.users\.ids\[0\] = 30 is out of range \[0, 30\)/);
    expect(() => controller.act({ users: { ids: Int32Array.of(0), frequencies: Int32Array.of(-1) }, items: ok }))
      .toThrow(/frequencies\[0\] = -1/);
    expect(() => controller.act({ users: { ids: Int32Array.of(0, 1), frequencies: Int32Array.of(1) }, items: ok }))
      .toThrow(RangeError);
    expect(() => controller.update(Float32Array.of(0))).toThrow(/observe\(\) a batch before updating/);
    expect(() => controller.observe({ users: ok, items: ok }, Float32Array.of(0, 1))).toThrow(/losses has length 2/);
    expect(() => controller.observe({ users: ok, items: ok }, Float32Array.of(NaN))).toThrow(/losses\[0\] = NaN/);
    expect(() => controller.observe({ users: ok, items: ok }, [0] as unknown as Float32Array)).toThrow(TypeError);
  });
});

describe("ESAPN search", () => {
  it("holds training memory to the final plan's while every size only grows (lean), and counts 222/128 of fixed for all sizes", async () => {
    const lean = await runEsapnStream(data, { task: "binary", candidates, seed, settings: { batchSize: 200, hidden: 64, policyHidden: 64 } });
    expect(lean.metrics.peakTrainingBytes).toBeLessThanOrEqual(1.05 * lean.metrics.planBytes!);
    for (let t = 1; t < lean.bytesByBatch.length; ++t) expect(lean.bytesByBatch[t]!).toBeGreaterThanOrEqual(lean.bytesByBatch[t - 1]!);
    expect(lean.metrics.planBytes).toBeGreaterThan((data.numUsers + data.numItems) * 2 * 4);
    const all = await runEsapnStream(data, { task: "binary", candidates, seed,
                                       settings: { batchSize: 200, hidden: 64, policyHidden: 64, storage: "all-sizes" } });
    // Ids that never occur are not in the data set: count the ones it has.
    expect(all.metrics.peakTrainingBytes).toBe((data.numUsers + data.numItems) * 222 * 4);
    expect(all.metrics.peakTrainingBytes! / all.metrics.fixedBytes!).toBeCloseTo(222 / 128, 10);
    expect(Array.from(all.plan.tables.users!)).toEqual(Array.from(lean.plan.tables.users!));
  });

  for (const task of ["binary", "multiclass"] as const) {
    it(`runs through search() for the ${task} task and ends within the budget`, async () => {
      const phases = new Set<string>();
      const result = await search({ method: "esapn", data, task, seed, budget: { ratio: 0.05 },
                                    settings: { batchSize: 250, hidden: 64, policyHidden: 64 },
                                    onProgress: (p) => phases.add(p.phase) });
      expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
      for (const sizes of Object.values(result.plan.tables)) for (const d of sizes) expect(candidates).toContain(d);
      expect(result.metrics.testAccuracy).toBeGreaterThan(task === "binary" ? 0.3 : 0.1);
      expect(Number.isFinite(result.metrics.testLoss)).toBe(true);
      expect([...phases]).toEqual(["train", "test", "retrain"]);
      expect(result.history.length).toBe(Math.ceil(3000 / 250) + Math.ceil(1000 / 250) + 1);
    });
  }

  it("joins a last batch of one sample to the one before", async () => {
    const small = generateSynthetic({ numUsers: 30, numItems: 20, numRatings: 1004, seed: 1 });
    const events: string[] = [];
    const result = await runEsapnStream(small, { task: "binary", candidates: [2, 4, 8], seed,
                                           settings: { batchSize: 250, hidden: 16, policyHidden: 16 },
                                           report: (e) => events.push(`${e.phase}:${e.total}`) });
    // 753 training rows: 250, 250, 250, 3; 251 test rows: one batch of 251.
    expect(events).toEqual(["train:4", "train:4", "train:4", "train:4", "test:1"]);
    expect(result.bytesByBatch.length).toBe(5);
  });

  it("reports the budget-held plan's retrained figures apart from its online run's, and stops when aborted", async () => {
    const result = await search({ method: "esapn", data, seed, budget: { ratio: 0.1 },
                                  settings: { batchSize: 500, hidden: 32, policyHidden: 32 } });
    expect(result.metrics.testAccuracy).toBeGreaterThan(0.3);
    expect(result.searchMetrics.testAccuracy).toBeGreaterThan(0.3);
    expect(result.peakSearchBytes).toBe(result.searchMetrics.peakTrainingBytes);
    const controller = new AbortController();
    controller.abort();
    await expect(search({ method: "esapn", data, signal: controller.signal })).rejects.toThrow();
  });

  it("rejects bad settings, a single candidate and tasks it cannot take", async () => {
    await expect(search({ method: "esapn", data, settings: { batchSize: 1 } })).rejects.toThrow(/settings\.batchSize/);
    await expect(search({ method: "esapn", data, settings: { storage: "dense" } })).rejects.toThrow(/settings\.storage/);
    await expect(search({ method: "esapn", data, settings: { retrain: true } })).rejects.toThrow(/settings\.retrain is not a setting of esapn/);
    await expect(search({ method: "esapn", data, candidates: [8] })).rejects.toThrow(/at least two candidate sizes/);
    await expect(search({ method: "esapn", data, task: "implicit" })).rejects.toThrow(/does not take task "implicit"/);
  });

  const movielens = "../shared/data/ml-latest-small/ratings.csv";
  it.runIf(existsSync(movielens))("runs on the first 10k ratings of ml-latest-small within its budget", async () => {
    const { dataset } = await loadRatings(movielens);
    const n = 10_000;
    const head = { ...dataset, users: dataset.users.subarray(0, n), items: dataset.items.subarray(0, n),
                   ratings: dataset.ratings.subarray(0, n), timestamps: dataset.timestamps.subarray(0, n) };
    const result = await search({ method: "esapn", data: head, seed, budget: { ratio: 0.3 } });
    expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
    expect(result.metrics.testAccuracy).toBeGreaterThan(0.4);
  });
});

describe("a model of the user's own with the ESAPN controller (examples/esapn_own_model.ts)", () => {
  it("learns well above the majority label, with training memory never above the final plan's", () => {
    const result = ownModel({ numRatings: 40_000, seed: 7 + (seed % 5), log: () => {} });
    expect(result.testAuc).toBeGreaterThan(0.7);
    expect(result.testAccuracy).toBeGreaterThan(result.majorityAccuracy + 0.05);
    expect(result.peakBytes).toBeLessThanOrEqual(result.planBytes);
    expect(result.planBytes).toBeLessThan(result.fixedBytes);
    expect([...result.sizes.users, ...result.sizes.items].some((d) => d > 2)).toBe(true);
  });
});

describe.runIf(backend().cudaDevices.length > 0)("ESAPN on CUDA", () => {
  it("runs the search on the GPU and ends within the budget", async () => {
    const result = await search({ method: "esapn", data, seed, device: "cuda", budget: { ratio: 0.1 },
                                  settings: { batchSize: 250, hidden: 64, policyHidden: 64 } });
    expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
    expect(result.metrics.testAccuracy).toBeGreaterThan(0.3);
  });
});
