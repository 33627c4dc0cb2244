/**
 * LightGCN with BPR: the propagation and gather ops on the tape, the seeded BPR sampler, the
 * model's loss and gradient against a float64 reference, and learning on synthetic data against
 * random ranking and popularity computed here.
 */
import { describe, expect, it } from "vitest";
import { backend } from "../../ts/backend.js";
import { Tensor } from "../../ts/tensor.js";
import { gatherRows } from "../../ts/autograd/ops/gather_rows_op.js";
import { mseSigmoid } from "../../ts/autograd/ops/loss_op.js";
import { propagateEmbedding, propagateRows } from "../../ts/autograd/ops/propagation_op.js";
import { backward, noGrad } from "../../ts/autograd/tape.js";
import { Variable } from "../../ts/autograd/variable.js";
import { streamSplit } from "../../ts/data/splits.js";
import { generateSynthetic } from "../../ts/data/synthetic.js";
import type { CsrMatrix } from "../../ts/graph/normalized_adjacency.js";
import { type CsrRows, rankingMetrics, type UserScorer } from "../../ts/metrics/ranking.js";
import { type BprBatch, BprSampler, itemsByUser } from "../../ts/models/bpr_sampling.js";
import { LightGCN } from "../../ts/models/lightgcn.js";
import { MixedDimEmbedding } from "../../ts/modules/mixed_dim_embedding.js";
import { SparseGraph } from "../../ts/ops/sparse_propagation.js";
import { Adam } from "../../ts/optim/adam.js";
import { fixedPlan, type SizePlan } from "../../ts/plan/size_plan.js";
import { checkGradients } from "../support/gradient_check.js";
import { pick, randomFloats, randomInt, rng, testSeed } from "../support/random.js";

const hasCuda = backend().cudaDevices.length > 0;

// ---------------------------------------------------------------------------------------------
// Float64 references, written from the definitions and sharing no code with the library.

function randomCsr(random: () => number, numRows: number, numCols: number, maxDegree = 6): CsrMatrix {
  const rowPtr = new Int32Array(numRows + 1);
  for (let i = 0; i < numRows; ++i) rowPtr[i + 1] = rowPtr[i]! + randomInt(random, 0, maxDegree + 1);
  const nnz = rowPtr[numRows]!;
  return { rowPtr, colIdx: Int32Array.from({ length: nnz }, () => randomInt(random, 0, numCols)),
           values: randomFloats(random, nnz), numCols };
}

function referenceProduct(csr: CsrMatrix, x: ArrayLike<number>, dim: number): Float64Array {
  const numRows = csr.rowPtr.length - 1;
  const out = new Float64Array(numRows * dim);
  for (let i = 0; i < numRows; ++i) {
    for (let p = csr.rowPtr[i]!; p < csr.rowPtr[i + 1]!; ++p) {
      for (let j = 0; j < dim; ++j) out[i * dim + j]! += csr.values[p]! * x[csr.colIdx[p]! * dim + j]!;
    }
  }
  return out;
}

function referenceTransposeProduct(csr: CsrMatrix, dOut: ArrayLike<number>, dim: number): Float64Array {
  const dx = new Float64Array(csr.numCols * dim);
  for (let i = 0; i + 1 < csr.rowPtr.length; ++i) {
    for (let p = csr.rowPtr[i]!; p < csr.rowPtr[i + 1]!; ++p) {
      for (let j = 0; j < dim; ++j) dx[csr.colIdx[p]! * dim + j]! += csr.values[p]! * dOut[i * dim + j]!;
    }
  }
  return dx;
}

/** max |a − e| / max |e|: the error relative to the reference's scale. */
function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let scale = 1e-12;
  let worst = 0;
  for (let i = 0; i < expected.length; ++i) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  }
  return Number.isNaN(worst) ? Infinity : worst / scale;
}

interface Interactions {
  users: Int32Array;
  items: Int32Array;
  numUsers: number;
  numItems: number;
}

/** LightGCN's loss in float64 from the ego rows E⁰ ([N, dim]), rebuilding Â from the interactions. */
class ReferenceLightGcn {
  readonly entries: { row: number; col: number; value: number }[] = [];

  constructor(readonly data: Interactions, readonly dim: number, readonly layers: number, readonly lambda: number) {
    const pairs = new Set<number>();
    data.users.forEach((u, k) => pairs.add(u * data.numItems + data.items[k]!));
    const userDegree = new Float64Array(data.numUsers);
    const itemDegree = new Float64Array(data.numItems);
    for (const pair of pairs) {
      userDegree[Math.floor(pair / data.numItems)]! += 1;
      itemDegree[pair % data.numItems]! += 1;
    }
    for (const pair of pairs) {
      const u = Math.floor(pair / data.numItems);
      const i = pair % data.numItems;
      const value = 1 / Math.sqrt(userDegree[u]! * itemDegree[i]!);
      this.entries.push({ row: u, col: data.numUsers + i, value }, { row: data.numUsers + i, col: u, value });
    }
  }

  final(ego: Float64Array): Float64Array {
    const sum = Float64Array.from(ego);
    let layer = ego;
    for (let l = 0; l < this.layers; ++l) {
      const next = new Float64Array(layer.length);
      for (const { row, col, value } of this.entries) {
        for (let j = 0; j < this.dim; ++j) next[row * this.dim + j]! += value * layer[col * this.dim + j]!;
      }
      for (let k = 0; k < sum.length; ++k) sum[k]! += next[k]!;
      layer = next;
    }
    return sum.map((v) => v / (this.layers + 1));
  }

  dot(e: Float64Array, a: number, b: number): number {
    let s = 0;
    for (let j = 0; j < this.dim; ++j) s += e[a * this.dim + j]! * e[b * this.dim + j]!;
    return s;
  }

  loss(ego: Float64Array, batch: BprBatch): number {
    const e = this.final(ego);
    const U = this.data.numUsers;
    const B = batch.users.length;
    let ranking = 0;
    let reg = 0;
    for (let b = 0; b < B; ++b) {
      const u = batch.users[b]!;
      const i = U + batch.positives[b]!;
      const j = U + batch.negatives[b]!;
      const x = this.dot(e, u, j) - this.dot(e, u, i);
      ranking += Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
      reg += this.dot(ego, u, u) + this.dot(ego, i, i) + this.dot(ego, j, j);
    }
    return ranking / B + (this.lambda * reg) / B;
  }
}

function randomInteractions(random: () => number, numUsers: number, numItems: number, count: number): Interactions {
  const users = Int32Array.from({ length: count }, (_, k) => (k < numUsers ? k : randomInt(random, 0, numUsers)));
  const items = Int32Array.from({ length: count }, (_, k) => (k < numItems ? k : randomInt(random, 0, numItems)));
  return { users, items, numUsers, numItems };
}

function mixedPlan(random: () => number, numUsers: number, numItems: number, candidates: number[]): SizePlan {
  const sizes = (n: number) => Int32Array.from({ length: n }, (_, k) => (k < candidates.length ? candidates[k]! : pick(random, candidates)));
  return { candidates, tables: { users: sizes(numUsers), items: sizes(numItems) } };
}

const allIds = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

// ---------------------------------------------------------------------------------------------

describe("propagation on the tape", () => {
  it("propagateRows gives Â·x and its backward gives Âᵀ·dOut (a non-symmetric Â)", () => {
    const random = rng(testSeed("propagateRows"));
    const csr = randomCsr(random, 23, 17);
    const dim = 5;
    const x = new Variable(Tensor.from(randomFloats(random, 17 * dim), { shape: [17, dim] }), { requiresGrad: true, name: "x" });
    const out = propagateRows(SparseGraph.fromCsr(csr), x);
    expect(out.shape).toEqual([23, dim]);
    expect(scaledError(out.value.toArray(), referenceProduct(csr, x.value.toArray(), dim))).toBeLessThan(1e-6);
    const dOut = randomFloats(random, 23 * dim);
    backward(out, Tensor.from(dOut, { shape: [23, dim] }));
    expect(scaledError(x.grad!.toArray(), referenceTransposeProduct(csr, dOut, dim))).toBeLessThan(1e-6);
  });

  it("propagateRows through three layers matches finite differences", () => {
    const random = rng(testSeed("propagateRows fd"));
    const graph = SparseGraph.fromCsr(randomCsr(random, 11, 11, 4));
    const x = new Variable(Tensor.from(randomFloats(random, 11 * 3), { shape: [11, 3] }), { requiresGrad: true, name: "x" });
    const target = Tensor.from(Float32Array.from({ length: 33 }, () => (random() < 0.5 ? 0 : 1)), { shape: [11, 3] });
    checkGradients(() => mseSigmoid(propagateRows(graph, propagateRows(graph, propagateRows(graph, x))), target, "sum"),
                   [x], random, { samples: 12, h: 1e-3 });
  });

  it("propagateEmbedding reads the store's mixed-size rows and hands Âᵀ·dOut to its parameter", () => {
    const random = rng(testSeed("propagateEmbedding"));
    const candidates = [2, 4, 8];
    const sizes = Int32Array.from({ length: 19 }, (_, k) => (k < 3 ? candidates[k]! : pick(random, candidates)));
    const embedding = new MixedDimEmbedding({ candidates, sizes, seed: 5, initStd: 0.5 });
    const csr = randomCsr(random, 13, 19);
    const out = propagateEmbedding(SparseGraph.fromCsr(csr), embedding.weight);
    expect(out.shape).toEqual([13, 8]);
    const rows = embedding.store.readRows(allIds(19));   // zero beyond each size
    expect(scaledError(out.value.toArray(), referenceProduct(csr, rows, 8))).toBeLessThan(1e-6);

    const dOut = randomFloats(random, 13 * 8);
    backward(out, Tensor.from(dOut, { shape: [13, 8] }));
    const gradient = embedding.weight.gradient()!;
    const summed = embedding.store.sparseGradient(gradient.ids, gradient.grad);
    expect(Array.from(summed.ids.toArray())).toEqual(Array.from(allIds(19)));
    const expected = referenceTransposeProduct(csr, dOut, 8);
    sizes.forEach((d, c) => expected.fill(0, c * 8 + d, (c + 1) * 8));   // entries beyond d_c belong to no weight
    expect(scaledError(summed.values.toArray(), expected)).toBeLessThan(1e-6);
  });

  it("propagateEmbedding's gradient matches finite differences through writeRows", () => {
    const random = rng(testSeed("propagateEmbedding fd"));
    const candidates = [3, 6];
    const sizes = Int32Array.from({ length: 9 }, (_, k) => (k < 2 ? candidates[k]! : pick(random, candidates)));
    const embedding = new MixedDimEmbedding({ candidates, sizes, seed: 2, initStd: 0.7 });
    const graph = SparseGraph.fromCsr(randomCsr(random, 9, 9, 4));
    const target = Tensor.from(Float32Array.from({ length: 9 * 6 }, () => (random() < 0.5 ? 0 : 1)), { shape: [9, 6] });
    const loss = () => mseSigmoid(propagateRows(graph, propagateEmbedding(graph, embedding.weight)), target, "sum");
    backward(loss());
    const g = embedding.weight.gradient()!;
    const grad = embedding.store.sparseGradient(g.ids, g.grad).values.toArray();
    embedding.weight.zeroGrad();
    for (let s = 0; s < 12; ++s) {
      const row = randomInt(random, 0, 9);
      const col = randomInt(random, 0, sizes[row]!);
      const values = embedding.store.readRows([row]);
      const original = values[col]!;
      const at = (v: number) => {
        values[col] = v;
        embedding.store.writeRows([row], values);
        return noGrad(() => loss().value.toArray()[0]!);
      };
      const h = 1e-3;
      const numeric = (at(original + h) - at(original - h)) / (2 * h);
      at(original);
      expect(Math.abs(numeric - grad[row * 6 + col]!), `row ${row} col ${col}`).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
    }
  });

  it("rejects what is not a SparseGraph, a Variable or an embedding parameter, naming it", () => {
    const x = new Variable(Tensor.from(new Float32Array(6), { shape: [3, 2] }));
    const csr: CsrMatrix = { rowPtr: Int32Array.of(0, 1), colIdx: Int32Array.of(0), values: Float32Array.of(1), numCols: 3 };
    expect(() => propagateRows(csr as unknown as SparseGraph, x)).toThrow(/graph must be a SparseGraph/);
    expect(() => propagateRows(SparseGraph.fromCsr(csr), x.value as unknown as Variable)).toThrow(TypeError);
    expect(() => propagateRows(SparseGraph.fromCsr({ ...csr, numCols: 4 }), x)).toThrow(/x has shape/);
    expect(() => propagateEmbedding(SparseGraph.fromCsr(csr), {} as never)).toThrow(/parameter must be an EmbeddingParameter/);
  });
});

describe("gatherRows", () => {
  it("picks rows, and its backward adds the gradients of repeated indices", () => {
    const random = rng(testSeed("gatherRows"));
    const x = new Variable(Tensor.from(randomFloats(random, 7 * 4), { shape: [7, 4] }), { requiresGrad: true, name: "x" });
    const indices = Int32Array.of(3, 0, 3, 6, 3, 1);
    const out = gatherRows(x, indices);
    const host = x.value.toArray();
    const expected = new Float64Array(indices.length * 4);
    indices.forEach((r, b) => { for (let j = 0; j < 4; ++j) expected[b * 4 + j] = host[r * 4 + j]!; });
    expect(Array.from(out.value.toArray())).toEqual(Array.from(expected));
    const dOut = randomFloats(random, indices.length * 4);
    backward(out, Tensor.from(dOut, { shape: [indices.length, 4] }));
    const dx = new Float64Array(7 * 4);
    indices.forEach((r, b) => { for (let j = 0; j < 4; ++j) dx[r * 4 + j]! += dOut[b * 4 + j]!; });
    expect(scaledError(x.grad!.toArray(), dx)).toBeLessThan(1e-6);
  });

  it("takes one index, or none", () => {
    const x = new Variable(Tensor.from(Float32Array.of(1, 2, 3, 4), { shape: [2, 2] }));
    expect(Array.from(gatherRows(x, [1]).value.toArray())).toEqual([3, 4]);
    expect(gatherRows(x, new Int32Array(0)).shape).toEqual([0, 2]);
  });

  it("rejects indices out of range or not integers, naming the position", () => {
    const x = new Variable(Tensor.from(new Float32Array(6), { shape: [3, 2] }));
    expect(() => gatherRows(x, [0, 3])).toThrow(/indices\[1\] = 3 is out of range \[0, 3\)/);
    expect(() => gatherRows(x, [-1])).toThrow(RangeError);
    expect(() => gatherRows(x, [0.5])).toThrow(/indices\[0\] = 0.5/);
    expect(() => gatherRows(x, "0" as never)).toThrow(TypeError);
    expect(() => gatherRows(new Variable(Tensor.from(new Float32Array(3))), [0])).toThrow(/x must have rank 2/);
  });
});

describe("BprSampler", () => {
  const data = { users: [0, 0, 1, 1, 1, 2, 3, 3], items: [0, 1, 1, 2, 2, 0, 0, 3], numUsers: 5, numItems: 4 };

  it("draws each user's own positives and negatives outside them, the same for the same seed", () => {
    const random = rng(testSeed("sampler"));
    const seed = randomInt(random, 0, 1000);
    const sampler = new BprSampler({ ...data, seed });
    expect(Array.from(sampler.sampledUsers)).toEqual([0, 1, 2, 3]);   // user 4 has no train item
    const positives = new Map<number, Set<number>>();
    data.users.forEach((u, k) => positives.set(u, (positives.get(u) ?? new Set()).add(data.items[k]!)));
    for (let round = 0; round < 50; ++round) {
      const batch = sampler.sample(3);
      expect(new Set(batch.users).size).toBe(3);   // without replacement when the batch fits
      batch.users.forEach((u, b) => {
        expect(positives.get(u)!.has(batch.positives[b]!)).toBe(true);
        expect(positives.get(u)!.has(batch.negatives[b]!)).toBe(false);
      });
    }
    const again = new BprSampler({ ...data, seed });
    const other = new BprSampler({ ...data, seed });
    expect(again.sample(9)).toEqual(other.sample(9));   // with replacement past 4 users
  });

  it("draws negatives uniformly from the pool, and skips users whose items cover it", () => {
    const sampler = new BprSampler({ ...data, negativeItems: [0, 1, 2], seed: 3 });
    expect(Array.from(sampler.sampledUsers)).toEqual([0, 1, 2, 3]);
    const full = new BprSampler({ users: [0, 0, 1], items: [0, 1, 0], numUsers: 2, numItems: 2, seed: 1 });
    expect(Array.from(full.sampledUsers)).toEqual([1]);
    const counts = new Map<number, number>();
    for (let round = 0; round < 2000; ++round) {
      const batch = full.sample(1);
      expect(batch.negatives[0]).toBe(1);
      const wide = new BprSampler({ users: [0], items: [0], numUsers: 1, numItems: 5, seed: round }).sample(1);
      counts.set(wide.negatives[0]!, (counts.get(wide.negatives[0]!) ?? 0) + 1);
    }
    for (const item of [1, 2, 3, 4]) expect(counts.get(item)!).toBeGreaterThan(400);   // 500 expected each
  });

  it("rejects bad interactions, pools and batch sizes, naming them", () => {
    expect(() => new BprSampler({ ...data, items: [0] })).toThrow(/items has length 1 but must have 8/);
    expect(() => new BprSampler({ ...data, users: [0, 0, 1, 1, 1, 2, 3, 5] })).toThrow(/users\[7\] = 5 is out of range \[0, numUsers = 5\)/);
    expect(() => new BprSampler({ ...data, negativeItems: [0, 0] })).toThrow(/negativeItems\[1\] = 0 is listed twice/);
    expect(() => new BprSampler({ ...data, numItems: -1 })).toThrow(RangeError);
    expect(() => new BprSampler({ ...data, seed: 1 }).sample(0)).toThrow(/batchSize/);
    expect(() => new BprSampler({ users: [], items: [], numUsers: 2, numItems: 2 }).sample(1)).toThrow(/nothing to sample/);
  });
});

describe("LightGCN", () => {
  function smallModel(random: () => number, lambda: number) {
    const data = randomInteractions(random, 9, 7, 30);
    const plan = mixedPlan(random, 9, 7, [2, 4, 6]);
    const model = new LightGCN({ plan, interactions: data, regularization: lambda, seed: randomInt(random, 0, 1000), initStd: 0.5 });
    const sampler = new BprSampler({ ...data, seed: randomInt(random, 0, 1000) });
    const reference = new ReferenceLightGcn(data, 6, 3, lambda);
    return { data, plan, model, sampler, reference };
  }

  const egoRows = (model: LightGCN) => Float64Array.from(model.embedding.store.readRows(allIds(model.numUsers + model.numItems)));

  it("computes SCALL's loss (BPR + λ·ego L2 / B) as the float64 reference does", () => {
    const random = rng(testSeed("lightgcn loss"));
    const { model, sampler, reference } = smallModel(random, 0.05);
    for (const size of [1, 5, 12]) {
      const batch = sampler.sample(size);
      const loss = model.loss(batch);
      expect(loss.value.size).toBe(1);
      const expected = reference.loss(egoRows(model), batch);
      expect(Math.abs(loss.value.toArray()[0]! - expected)).toBeLessThan(1e-5 * Math.max(1, expected));
    }
  });

  it("has the gradient of the float64 reference and of finite differences through writeRows", () => {
    const random = rng(testSeed("lightgcn gradient"));
    const { model, sampler, reference, plan } = smallModel(random, 0.05);
    const sizes = new Int32Array([...plan.tables.users!, ...plan.tables.items!]);
    const batch = sampler.sample(8);
    backward(model.loss(batch));
    const g = model.embedding.weight.gradient()!;
    const summed = model.embedding.store.sparseGradient(g.ids, g.grad);
    const grad = summed.values.toArray();
    const dim = 6;
    expect(summed.ids.size).toBe(sizes.length);

    const ego = egoRows(model);
    let scale = 0;
    for (const v of grad) scale = Math.max(scale, Math.abs(v));
    expect(scale).toBeGreaterThan(1e-3);
    for (let s = 0; s < 20; ++s) {
      // Rows in the batch first, so the L2 term's share is exercised; then any row.
      const row = s < 10 ? pick(random, [batch.users[s % batch.users.length]!, model.numUsers + batch.negatives[s % 8]!])
                         : randomInt(random, 0, sizes.length);
      const col = randomInt(random, 0, sizes[row]!);
      const at = (values: Float64Array, v: number) => {
        const copy = Float64Array.from(values);
        copy[row * dim + col] = v;
        return reference.loss(copy, batch);
      };
      const original = ego[row * dim + col]!;
      const h64 = 1e-6;
      const exact = (at(ego, original + h64) - at(ego, original - h64)) / (2 * h64);
      expect(Math.abs(grad[row * dim + col]! - exact), `row ${row} col ${col} (float64 reference)`).toBeLessThan(1e-5 + 1e-3 * scale);

      // The model itself, float32, perturbed through the store.
      const stored = model.embedding.store.readRows([row]);
      const evaluate = (v: number) => {
        stored[col] = v;
        model.embedding.store.writeRows([row], stored);
        return noGrad(() => model.loss(batch).value.toArray()[0]!);
      };
      const h = 1e-2;
      const numeric = (evaluate(original + h) - evaluate(original - h)) / (2 * h);
      evaluate(original);
      expect(Math.abs(grad[row * dim + col]! - numeric), `row ${row} col ${col} (finite differences)`)
        .toBeLessThan(2e-4 + 2e-2 * scale);
    }
    // Entries beyond a row's size are no weight: their gradient is zero.
    sizes.forEach((d, c) => { for (let j = d; j < dim; ++j) expect(grad[c * dim + j]).toBe(0); });
  });

  it("scores users against every item as ⟨E_u, E_i⟩ of the propagated rows", () => {
    const random = rng(testSeed("lightgcn scores"));
    const { model, reference } = smallModel(random, 1e-4);
    const final = reference.final(egoRows(model));
    const users = Int32Array.of(4, 0, 8, 4);
    const scores = model.scoreUsers(users);
    expect(scores.length).toBe(users.length * 7);
    const expected = new Float64Array(users.length * 7);
    users.forEach((u, b) => { for (let i = 0; i < 7; ++i) expected[b * 7 + i] = reference.dot(final, u, 9 + i); });
    expect(scaledError(scores, expected)).toBeLessThan(1e-5);
  });

  it("rejects bad batches and options, naming the argument", () => {
    const random = rng(testSeed("lightgcn errors"));
    const { model, data } = smallModel(random, 1e-4);
    const batch = { users: Int32Array.of(0, 1), positives: Int32Array.of(0, 1), negatives: Int32Array.of(2, 3) };
    expect(() => model.loss({ ...batch, users: Int32Array.of(0, 9) })).toThrow(/batch\.users\[1\] = 9 is out of range \[0, numUsers = 9\)/);
    expect(() => model.loss({ ...batch, positives: Int32Array.of(7, 0) })).toThrow(/batch\.positives\[0\] = 7 is out of range \[0, numItems = 7\)/);
    expect(() => model.loss({ ...batch, negatives: Int32Array.of(-1, 0) })).toThrow(RangeError);
    expect(() => model.loss({ ...batch, negatives: Int32Array.of(2) })).toThrow(/batch\.negatives has length 1 but must have 2/);
    expect(() => model.loss({ ...batch, positives: Int32Array.of(2, 3, 4) })).toThrow(/batch\.positives has length 3 but must have 2/);
    expect(() => model.loss({ users: new Int32Array(0), positives: new Int32Array(0), negatives: new Int32Array(0) })).toThrow(/empty/);
    expect(() => model.loss(null as never)).toThrow(TypeError);
    expect(() => model.scoreUsers([9])).toThrow(/users\[0\] = 9 is out of range/);
    const plan = fixedPlan({ users: 9, items: 7 }, 4);
    expect(() => new LightGCN({ plan: fixedPlan({ users: 9 }, 4), interactions: data })).toThrow(/plan has no table "items"/);
    expect(() => new LightGCN({ plan, interactions: { users: data.users, items: Int32Array.of(0) } })).toThrow(/items has length 1/);
    expect(() => new LightGCN({ plan, interactions: { users: Int32Array.of(9), items: Int32Array.of(0) } })).toThrow(/users\[0\] = 9 is out of range/);
    expect(() => new LightGCN({ plan, interactions: data, layers: -1 })).toThrow(/layers/);
    expect(() => new LightGCN({ plan, interactions: data, regularization: -1 })).toThrow(/regularization/);
  });
});

// ---------------------------------------------------------------------------------------------
// Learning.

interface ImplicitSplit {
  numUsers: number;
  numItems: number;
  train: { users: Int32Array; items: Int32Array };
  test: CsrRows;
}

/**
 * generateSynthetic's ratings as implicit feedback: an interaction rated ≥ 4 is a positive. A
 * seeded random 80/20 split of the rows; test pairs already positive in train are dropped.
 */
function syntheticImplicit(seed: number): ImplicitSplit {
  const data = generateSynthetic({ numUsers: 600, numItems: 400, numRatings: 15_000, seed });
  const { train, test } = streamSplit(data, { order: "shuffle", seed, trainFraction: 0.8 });
  const trainUsers: number[] = [];
  const trainItems: number[] = [];
  const seen = new Set<number>();
  for (const r of train) {
    if (data.ratings[r]! < 4) continue;
    trainUsers.push(data.users[r]!);
    trainItems.push(data.items[r]!);
    seen.add(data.users[r]! * data.numItems + data.items[r]!);
  }
  const testUsers: number[] = [];
  const testItems: number[] = [];
  for (const r of test) {
    if (data.ratings[r]! < 4 || seen.has(data.users[r]! * data.numItems + data.items[r]!)) continue;
    testUsers.push(data.users[r]!);
    testItems.push(data.items[r]!);
  }
  return {
    numUsers: data.numUsers, numItems: data.numItems,
    train: { users: Int32Array.from(trainUsers), items: Int32Array.from(trainItems) },
    test: itemsByUser(Int32Array.from(testUsers), Int32Array.from(testItems), data.numUsers),
  };
}

/**
 * Planted communities, where taste rather than popularity decides: user u belongs to group
 * u mod G and picks 80% of its items uniformly from its group's items (i mod G = u mod G), the
 * rest uniformly from all items.
 */
function plantedImplicit(seed: number): ImplicitSplit {
  const random = rng(seed);
  const numUsers = 300;
  const numItems = 240;
  const groups = 6;
  const trainUsers: number[] = [];
  const trainItems: number[] = [];
  const testUsers: number[] = [];
  const testItems: number[] = [];
  for (let u = 0; u < numUsers; ++u) {
    const chosen = new Set<number>();
    while (chosen.size < 20) {
      chosen.add(random() < 0.8 ? groups * randomInt(random, 0, numItems / groups) + (u % groups) : randomInt(random, 0, numItems));
    }
    for (const item of chosen) {
      const toTest = random() < 0.2;
      (toTest ? testUsers : trainUsers).push(u);
      (toTest ? testItems : trainItems).push(item);
    }
  }
  return {
    numUsers, numItems,
    train: { users: Int32Array.from(trainUsers), items: Int32Array.from(trainItems) },
    test: itemsByUser(Int32Array.from(testUsers), Int32Array.from(testItems), numUsers),
  };
}

interface Baselines {
  /** E[Recall@20] of a uniformly random ranking of each user's unmasked items. */
  expectedRandom: number;
  /** Recall@20 of actual random scores. */
  random: number;
  /** Recall@20 of ranking by train popularity. */
  popularity: number;
}

function recallAt20(split: ImplicitSplit, trainItems: CsrRows, scores: UserScorer): number {
  return rankingMetrics({ itemCount: split.numItems, trainItemsByUser: trainItems, testItemsByUser: split.test, k: 20, scores }).recall;
}

function baselines(split: ImplicitSplit, trainItems: CsrRows, seed: number): Baselines {
  let sum = 0;
  let users = 0;
  for (let u = 0; u < split.numUsers; ++u) {
    const trainCount = trainItems.rowPtr[u + 1]! - trainItems.rowPtr[u]!;
    if (trainCount === 0 || split.test.rowPtr[u + 1] === split.test.rowPtr[u]) continue;
    // Test pairs in train were dropped, so every test item is among the C unmasked candidates,
    // and each lands in a random top 20 with probability min(20, C)/C.
    const candidates = split.numItems - trainCount;
    sum += Math.min(20, candidates) / candidates;
    users += 1;
  }
  const random = rng(seed);
  const popularity = new Float32Array(split.numItems);
  for (const item of split.train.items) popularity[item]! += 1;
  const constantRows = (row: Float32Array) => (users: Int32Array) => {
    const out = new Float32Array(users.length * split.numItems);
    users.forEach((_, b) => out.set(row, b * split.numItems));
    return out;
  };
  return {
    expectedRandom: sum / users,
    random: recallAt20(split, trainItems, (block) => Float32Array.from({ length: block.length * split.numItems }, random)),
    popularity: recallAt20(split, trainItems, constantRows(popularity)),
  };
}

function train(split: ImplicitSplit, plan: SizePlan, seed: number, steps: number, batchSize: number,
               learningRate: number): { model: LightGCN; sampler: BprSampler; milliseconds: number } {
  const sampler = new BprSampler({ ...split.train, numUsers: split.numUsers, numItems: split.numItems, seed });
  const model = new LightGCN({ plan, interactions: split.train, seed, initStd: 0.1 });
  const optimizer = new Adam(model.parameters(), { learningRate });
  const start = performance.now();
  for (let step = 0; step < steps; ++step) {
    backward(model.loss(sampler.sample(batchSize)));
    optimizer.step();
    optimizer.zeroGrad();
  }
  return { model, sampler, milliseconds: performance.now() - start };
}

describe("LightGCN learns to rank", () => {
  it("beats random ranking on Recall@20 by a wide margin on generateSynthetic's data", () => {
    const seed = testSeed("lightgcn synthetic");
    const split = syntheticImplicit(seed);
    const plan = fixedPlan({ users: split.numUsers, items: split.numItems }, 16);
    const { model, sampler, milliseconds } = train(split, plan, seed, 100, 1024, 0.01);
    const recall = recallAt20(split, sampler.positives, model.scorer());
    const base = baselines(split, sampler.positives, seed);
    console.log(`synthetic: ${split.train.users.length} train positives; LightGCN Recall@20 ${recall.toFixed(4)} ` +
                `(${milliseconds.toFixed(0)} ms), random ${base.expectedRandom.toFixed(4)} expected / ` +
                `${base.random.toFixed(4)} scored, popularity ${base.popularity.toFixed(4)}`);
    expect(Math.abs(base.random - base.expectedRandom)).toBeLessThan(0.5 * base.expectedRandom);
    expect(recall).toBeGreaterThan(3 * base.expectedRandom);
    expect(recall).toBeGreaterThan(3 * base.random);
    // Pairs here are drawn independently of taste (only the rating is not), so popularity is
    // nearly the best ranking there is: LightGCN comes within a few percent of it, not above.
    expect(recall).toBeGreaterThan(0.85 * base.popularity);
  });

  it("beats popularity clearly where taste decides (planted communities), with a mixed size plan", () => {
    const seed = testSeed("lightgcn planted");
    const split = plantedImplicit(seed);
    const random = rng(seed);
    const plan = mixedPlan(random, split.numUsers, split.numItems, [4, 8, 16]);
    const { model, sampler, milliseconds } = train(split, plan, seed, 100, 1024, 0.01);
    const recall = recallAt20(split, sampler.positives, model.scorer());
    const base = baselines(split, sampler.positives, seed);
    console.log(`planted: LightGCN Recall@20 ${recall.toFixed(4)} (${milliseconds.toFixed(0)} ms), ` +
                `random ${base.expectedRandom.toFixed(4)}, popularity ${base.popularity.toFixed(4)}`);
    expect(recall).toBeGreaterThan(3 * base.expectedRandom);
    expect(recall).toBeGreaterThan(1.5 * base.popularity);
    // Training kept every row at its planned size, zero beyond it.
    const sizes = model.embedding.sizes();
    expect(Array.from(sizes)).toEqual([...plan.tables.users!, ...plan.tables.items!]);
    const rows = model.embedding.store.readRows(allIds(sizes.length));
    sizes.forEach((d, c) => { for (let j = d; j < 16; ++j) expect(rows[c * 16 + j]).toBe(0); });
  });
});

describe.runIf(hasCuda)("LightGCN on CUDA", () => {
  it("gives the CPU's loss, gradient and scores", () => {
    const random = rng(testSeed("lightgcn cuda"));
    const data = randomInteractions(random, 40, 30, 200);
    const plan = mixedPlan(random, 40, 30, [4, 8, 16]);
    const options = { plan, interactions: data, regularization: 0.01, seed: 7, initStd: 0.3 };
    const cpu = new LightGCN(options);
    const cuda = new LightGCN({ ...options, device: "cuda" });
    const batch = new BprSampler({ ...data, seed: 3 }).sample(64);
    const lossCpu = cpu.loss(batch);
    const lossCuda = cuda.loss(batch);
    expect(Math.abs(lossCuda.value.toArray()[0]! - lossCpu.value.toArray()[0]!)).toBeLessThan(1e-5);
    backward(lossCpu);
    backward(lossCuda);
    const gradient = (model: LightGCN) => {
      const g = model.embedding.weight.gradient()!;
      return model.embedding.store.sparseGradient(g.ids, g.grad).values.toArray();
    };
    expect(scaledError(gradient(cuda), gradient(cpu))).toBeLessThan(1e-4);
    const users = Int32Array.of(0, 5, 39);
    expect(scaledError(cuda.scoreUsers(users), cpu.scoreUsers(users))).toBeLessThan(1e-5);
  });
});
