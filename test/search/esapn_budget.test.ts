/**
 * ESAPN's budget while training (issue #14): the live tables never exceed it at any batch, new
 * ids make the least frequent ids step down, refused enlargements leave ids as they were, and a
 * step down is the least-squares inverse of the enlarge.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateSynthetic, loadRatings, MixedDimEmbedding, ProjectionChain, Tensor } from "mixdim";
import { defaultSynthetic } from "../../ts/cli/data_source.js";
import { search } from "../../ts/search/search.js";
import { EsapnController } from "../../ts/search/esapn/controller.js";
import { enlargeRows } from "../../ts/search/esapn/enlarge.js";
import { runEsapnStream } from "../../ts/search/esapn/esapn.js";
import { admitEnlargements, type EnlargeRequest } from "../../ts/search/esapn/live_budget.js";
import { shrinkRows } from "../../ts/search/esapn/shrink.js";
import { rng, testSeed } from "../support/random.js";

const seed = testSeed("esapn budget");
const candidates = [2, 4, 8, 16, 64, 128];
const small = { batchSize: 250, hidden: 32, policyHidden: 32 };

function table(sizes: number[], dims: number[] = candidates, tableSeed = 1): { embedding: MixedDimEmbedding; chain: ProjectionChain } {
  return { embedding: new MixedDimEmbedding({ candidates: dims, sizes: Int32Array.from(sizes), seed: tableSeed, initStd: 0.5 }),
           chain: new ProjectionChain({ dims, seed: tableSeed + 1 }) };
}

function rowsOf(embedding: MixedDimEmbedding, ids: number[]): Float32Array[] {
  const all = embedding.store.lookup(Tensor.from(Int32Array.from(ids))).toArray();
  const sizes = embedding.sizes();
  return ids.map((id, b) => all.slice(b * embedding.maxDim, b * embedding.maxDim + sizes[id]!));
}

describe("a step down (shrinkRows)", () => {
  it("gives back the row an enlarge came from", () => {
    const { embedding, chain } = table([2, 4, 8, 16, 64]);
    const ids = [0, 1, 2, 3, 4];
    const before = rowsOf(embedding, ids);
    enlargeRows(embedding, chain, Int32Array.from(ids));
    expect(Array.from(embedding.sizes())).toEqual([4, 8, 16, 64, 128]);
    shrinkRows(embedding, chain, Int32Array.from(ids), Int32Array.from([4, 8, 16, 64, 128]));
    expect(Array.from(embedding.sizes())).toEqual([2, 4, 8, 16, 64]);
    rowsOf(embedding, ids).forEach((row, b) => {
      for (let j = 0; j < row.length; ++j) expect(row[j]!).toBeCloseTo(before[b]![j]!, 4);
    });
  });

  it("writes the least-squares row: the residual W·e + b − y is orthogonal to W's columns", () => {
    const random = rng(seed);
    const { embedding, chain } = table([16, 16]);
    const y = Float32Array.from({ length: 2 * 128 }, (_, k) => (k % 128 < 16 ? random() * 2 - 1 : 0));
    embedding.store.writeRows(Int32Array.of(0, 1), y);
    const target = rowsOf(embedding, [0, 1]);
    shrinkRows(embedding, chain, Int32Array.of(0, 1), Int32Array.of(16, 16));
    const e = rowsOf(embedding, [0, 1]);
    // Link 2 carries 8 → 16: W is 16 × 8 row-major at weightOffsets[2], b at biasOffsets[2] (projection_chain.ts).
    const w = chain.weights.value.toArray().subarray(chain.layout.weightOffsets[2]!);
    const bias = chain.biases.value.toArray().subarray(chain.layout.biasOffsets[2]!);
    for (let b = 0; b < 2; ++b) {
      expect(e[b]!.length).toBe(8);
      const residual = Array.from({ length: 16 }, (_, i) => {
        let sum = bias[i]! - target[b]![i]!;
        for (let j = 0; j < 8; ++j) sum += w[i * 8 + j]! * e[b]![j]!;
        return sum;
      });
      const norm = Math.hypot(...residual);
      expect(norm).toBeGreaterThan(0.1);
      for (let j = 0; j < 8; ++j) {
        let dot = 0;
        for (let i = 0; i < 16; ++i) dot += w[i * 8 + j]! * residual[i]!;
        expect(Math.abs(dot)).toBeLessThan(1e-4 * norm);
      }
    }
  });

  it("refuses a row at the smallest size", () => {
    const { embedding, chain } = table([2, 4]);
    expect(() => shrinkRows(embedding, chain, Int32Array.of(0), Int32Array.of(2))).toThrow(/sizes\[0\] = 2 must be a candidate above the smallest/);
  });
});

describe("admitting enlargements", () => {
  it("takes the most frequent first while they fit, keeping the requests' order", () => {
    const requests: EnlargeRequest[] = [
      { table: 0, id: 5, level: 0, count: 3 },   // 2 → 4: 8 bytes
      { table: 0, id: 6, level: 3, count: 40 },  // 16 → 64: 192 bytes
      { table: 1, id: 2, level: 1, count: 10 },  // 4 → 8: 16 bytes
      { table: 1, id: 3, level: 0, count: 10 },  // 2 → 4: 8 bytes
    ];
    // 200 bytes: id 6 (192), then id 2 does not fit (16), id 3 does (8); id 5 no longer.
    expect(admitEnlargements(requests, candidates, 200)).toEqual([1, 3]);
    expect(admitEnlargements(requests, candidates, 24)).toEqual([2, 3]);
    expect(admitEnlargements(requests, candidates, 7)).toEqual([]);
  });
});

describe("the controller under a budget", () => {
  const batchOf = (users: number[], frequencies: number[]) =>
    ({ users: { ids: Int32Array.from(users), frequencies: Int32Array.from(frequencies) } });

  it("makes room for new ids by stepping the least frequent down, and refuses enlargements that do not fit", () => {
    const { embedding, chain } = table([8, 8, 8, 2]);
    // 4 ids: 8 + 8 + 8 + 2 floats = 104 bytes; budget 120.
    const controller = new EsapnController({ sides: { users: { embedding, chain } }, budgetBytes: 120, hidden: 8, seed });
    controller.act(batchOf([0, 1, 2, 3, 0, 1, 0], [5, 3, 9, 1, 6, 4, 10]));
    expect(controller.memory().rowBytes).toBeLessThanOrEqual(120);
    const afterAct = Array.from(embedding.sizes());
    // Id 1 (count 4) is the least frequent above 2, then id 2 (count 9), then id 0 (count 10).
    controller.makeRoom(3 * 2 * 4);
    embedding.addRows(Int32Array.of(2, 2, 2));
    expect(controller.memory().rowBytes).toBeLessThanOrEqual(120);
    const sizes = Array.from(embedding.sizes());
    expect(sizes.slice(4)).toEqual([2, 2, 2]);
    const stepped = afterAct.map((d, id) => d - sizes[id]!);
    expect(stepped[1]!).toBeGreaterThan(0);
    expect(stepped[0]).toBe(0);
    expect(() => controller.makeRoom(10_000)).toThrow(RangeError);
    expect(() => controller.makeRoom(10_000)).toThrow(/budgetBytes = 120 cannot hold the ids seen so far/);
  });

  it("adds a batch's new ids at the smallest size, after making room for them, and refuses ids it cannot add", () => {
    const { embedding, chain } = table([8, 8, 2]);
    // 3 ids: 18 floats = 72 bytes; budget 80 leaves room for 2 new floats, so 3 new ids (6 floats) need 16 more bytes.
    const controller = new EsapnController({ sides: { users: { embedding, chain } }, budgetBytes: 80, hidden: 8, seed });
    controller.act(batchOf([0, 1, 2, 0], [1, 1, 1, 2]));
    const before = Array.from(embedding.sizes());
    expect(controller.addNewIds(batchOf([1, 5, 3], [2, 1, 1]))).toEqual({ users: 3 });
    const sizes = Array.from(embedding.sizes());
    expect(sizes.slice(3)).toEqual([2, 2, 2]);
    expect(controller.memory().rowBytes).toBeLessThanOrEqual(80);
    // Id 1 (count 1) steps down before id 0 (count 2).
    expect(sizes[1]!).toBeLessThan(before[1]!);
    expect(controller.addNewIds(batchOf([4, 0], [1, 3]))).toEqual({ users: 0 });
    expect(() => controller.addNewIds(batchOf([7, -1], [1, 1]))).toThrow(new RangeError("batch.users.ids[1] = -1 must be non-negative"));
    expect(() => controller.addNewIds({ users: { ids: [1] as unknown as Int32Array, frequencies: Int32Array.of(1) } }))
      .toThrow(new TypeError("batch.users.ids must be an Int32Array"));
  });

  it("brings tables that grew past the budget back within it when it acts", () => {
    const { embedding, chain } = table([16, 16, 2]);
    const controller = new EsapnController({ sides: { users: { embedding, chain } }, budgetBytes: 160, hidden: 8, seed });
    controller.act(batchOf([0, 1, 2], [7, 2, 1]));
    embedding.addRows(Int32Array.of(2, 2, 2, 2));
    controller.act(batchOf([3, 4, 5, 6, 0], [1, 1, 1, 1, 8]));
    expect(controller.memory().rowBytes).toBeLessThanOrEqual(160);
    // Id 1 (count 2) stepped down before id 0 (count 8).
    expect(embedding.sizes()[1]!).toBeLessThan(16);
  });

  it("puts β, the budget left, in the policy's state, and refuses a budget with all-sizes storage", () => {
    const { embedding, chain } = table([2, 2, 2]);
    const controller = new EsapnController({ sides: { users: { embedding, chain } }, budgetBytes: 48, hidden: 8, seed });
    expect(controller.budgetLeft()).toBeCloseTo(0.5, 12);
    expect(controller.policy("users").budgetFeature).toBe(true);
    expect(() => new EsapnController({ sides: { users: { embedding, chain } }, budgetBytes: 48, storage: "all-sizes" }))
      .toThrow(/budgetBytes needs storage "lean"/);
    expect(() => new EsapnController({ sides: { users: { embedding, chain } }, budgetBytes: -1 })).toThrow(/budgetBytes/);
  });
});

describe("ESAPN's stream under a budget that binds", () => {
  async function peakWithAndWithout(data: Parameters<typeof runEsapnStream>[0], budgetBytes: number, settings: Record<string, unknown>) {
    const free = await runEsapnStream(data, { task: "binary", candidates, seed: 1, settings });
    const held = await runEsapnStream(data, { task: "binary", candidates, seed: 1, settings, budgetBytes });
    return { free, held };
  }

  it("never holds more than the budget at any batch on the synthetic default, where it would otherwise overrun", async () => {
    const data = generateSynthetic({ ...defaultSynthetic, numRatings: 12_000 });
    const budgetBytes = Math.floor(0.1 * (data.numUsers + data.numItems) * 128 * 4);
    const { free, held } = await peakWithAndWithout(data, budgetBytes, small);
    expect(free.metrics.peakTrainingBytes!).toBeGreaterThan(1.5 * budgetBytes);
    expect(held.metrics.peakTrainingBytes!).toBeLessThanOrEqual(budgetBytes);
    for (const bytes of held.bytesByBatch) expect(bytes).toBeLessThanOrEqual(budgetBytes);
    // It binds: the table fills the budget but for less than one enlargement of the largest step.
    expect(held.metrics.peakTrainingBytes!).toBeGreaterThan(budgetBytes - 64 * 4);
    expect(held.metrics.planBytes!).toBeLessThanOrEqual(budgetBytes);
  });

  // Beside the repository, as CI has it; the test is skipped without it.
  it("with holdBudget \"at-end\" lets the table grow past the budget and steps the final plan down instead", async () => {
    const data = generateSynthetic({ ...defaultSynthetic, numRatings: 12_000 });
    const budget = { ratio: 0.1 };
    const settings = { ...small, holdBudget: "at-end" };
    const atEnd = await search({ method: "esapn", data, budget, seed: 1, settings: { ...settings, evaluatePlan: false } });
    expect(atEnd.peakSearchBytes).toBeGreaterThan(1.5 * atEnd.budgetBytes!);
    expect(atEnd.bytes).toBeLessThanOrEqual(atEnd.budgetBytes!);
    const held = await search({ method: "esapn", data, budget, seed: 1, settings: { ...small, evaluatePlan: false } });
    expect(held.peakSearchBytes).toBeLessThanOrEqual(held.budgetBytes!);
    await expect(search({ method: "esapn", data, seed: 1, settings })).rejects.toThrow(/settings\.holdBudget says when a budget is held/);
  });

  const u100k = "../shared/data/ml-100k/u.data";
  it.skipIf(!existsSync(u100k))("never holds more than a quarter of the fixed table on ml-100k (the issue's 632 KiB for 328 KiB)", async () => {
    const { dataset } = await loadRatings(u100k);
    const budgetBytes = Math.floor(0.25 * (dataset.numUsers + dataset.numItems) * 128 * 4);
    const { free, held } = await peakWithAndWithout(dataset, budgetBytes, { batchSize: 500, hidden: 64, policyHidden: 64 });
    expect(free.metrics.peakTrainingBytes!).toBeGreaterThan(budgetBytes);
    expect(held.metrics.peakTrainingBytes!).toBeLessThanOrEqual(budgetBytes);
    for (const bytes of held.bytesByBatch) expect(bytes).toBeLessThanOrEqual(budgetBytes);
  // Seconds on the CPU build, half a minute on CI's sanitizer build.
  }, 180_000);

  it("numbers ids by first appearance: the table holds only the ids seen so far, new ones at the smallest size", async () => {
    const data = generateSynthetic({ numUsers: 300, numItems: 200, numRatings: 3000, seed: 5 });
    const result = await runEsapnStream(data, { task: "binary", candidates, seed: 1, settings: { ...small, policy: "frozen" } });
    // The first batch: its distinct users and items, each at 2 floats, before any grew.
    const rows = Array.from({ length: 250 }, (_, k) => k);
    const order = Array.from(data.timestamps.keys()).sort((a, b) => data.timestamps[a]! - data.timestamps[b]! || a - b);
    const first = rows.map((k) => order[k]!);
    const distinct = new Set(first.map((r) => data.users[r])).size + new Set(first.map((r) => data.items[r])).size;
    expect(result.bytesByBatch[0]!).toBeGreaterThanOrEqual(distinct * 2 * 4);
    expect(result.bytesByBatch[0]!).toBeLessThan((data.numUsers + data.numItems) * 2 * 4);
  });
});
