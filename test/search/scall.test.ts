/**
 * SCALL: the size sampler holds the budget exactly (never over, at least 99.9% used) across α
 * and table sizes in both budget modes, sizes follow current-segment frequency rank (so they go
 * down as well as up, and unseen ids get one), the SAC agent's update, and the method end to end
 * through search() on a small synthetic stream.
 */
import { describe, expect, it } from "vitest";
import { backend } from "../../ts/backend.js";
import { generateSynthetic } from "../../ts/data/synthetic.js";
import { scallSegments } from "../../ts/data/scall_segments.js";
import { MixedDimEmbedding } from "../../ts/modules/mixed_dim_embedding.js";
import { planBytes } from "../../ts/plan/size_plan.js";
import { search } from "../../ts/search/search.js";
import { actionToSizes, ScallController } from "../../ts/search/scall/scall.js";
import { ReplayBuffer, SacAgent } from "../../ts/search/scall/sac_agent.js";
import {
  allocateSizes, assignByRank, limitSizeClasses, powerLawShares, rankByFrequency, sampleSizes, snapToLevels,
} from "../../ts/search/scall/size_sampler.js";
import { pooledFrequencies, scallState, stateLength } from "../../ts/search/scall/state.js";
import { randomInt, rng, testSeed } from "../support/random.js";

const seed = testSeed("scall");

// ---------------------------------------------------------------------------------------------
// Float64 references, written from the definitions.

/** p_k ∝ (1 − k/(n+1))^(1/α), directly. */
function referenceShares(n: number, alpha: number): number[] {
  const raw = Array.from({ length: n }, (_, k) => (1 - (k + 1) / (n + 1)) ** (1 / alpha));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((p) => p / sum);
}

/** The continuous water-filling clip(λ·p, lo, hi) with Σ = P, λ by plain bisection over every id. */
function referenceAllocation(shares: ArrayLike<number>, total: number, lo: number, hi: number): Float64Array {
  const sum = (lambda: number) => {
    let s = 0;
    for (let k = 0; k < shares.length; ++k) s += Math.min(hi, Math.max(lo, lambda * shares[k]!));
    return s;
  };
  let low = 0;
  let high = 1;
  while (sum(high) < total) high *= 2;
  for (let i = 0; i < 200; ++i) {
    const mid = (low + high) / 2;
    if (sum(mid) < total) low = mid;
    else high = mid;
  }
  return Float64Array.from(shares, (p) => Math.min(hi, Math.max(lo, high * p)));
}

function total(sizes: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < sizes.length; ++k) s += sizes[k]!;
  return s;
}

function expectNonIncreasing(sizes: Int32Array): void {
  let worst = 0;
  for (let k = 1; k < sizes.length; ++k) worst = Math.max(worst, sizes[k]! - sizes[k - 1]!);
  expect(worst).toBeLessThanOrEqual(0);
}

// ---------------------------------------------------------------------------------------------

describe("power-law size sampler", () => {
  it("shares are (1 − k/(n+1))^(1/α), normalised and descending", () => {
    for (const [n, alpha] of [[1, 1], [7, 0.1], [50, 3], [1000, 30]] as const) {
      const shares = powerLawShares(n, alpha);
      const expected = referenceShares(n, alpha);
      shares.forEach((p, k) => expect(Math.abs(p - expected[k]!)).toBeLessThan(1e-12 * Math.max(1, expected[0]!)));
      expect(Math.abs(total(shares) - 1)).toBeLessThan(1e-12);
    }
  });

  it("never exceeds the budget and uses all of it, for α in [0.1, 30] and 10 to 10^6 ids", () => {
    const random = rng(seed);
    const cases: [number, number][] = [];
    for (const alpha of [0.1, 0.5, 1, 3, 10, 30]) for (const n of [10, 100, 10_000]) cases.push([alpha, n]);
    cases.push([0.1, 1_000_000], [30, 1_000_000]);
    for (const [alpha, n] of cases) {
      const shares = powerLawShares(n, alpha);
      // Budget mode B (any total between every id at 1 and every id at 256) and mode c (a mean size).
      const totals = [randomInt(random, n, 256 * n + 1), Math.floor((1 + random() * 255) * n), n, 256 * n, n + 1, 256 * n - 1];
      for (const P of totals) {
        const sizes = allocateSizes(shares, P);
        expect(total(sizes)).toBe(P);
        expect(Math.min(...sizes.subarray(0, 1), ...sizes.subarray(n - 1))).toBeGreaterThanOrEqual(1);
        expect(sizes[0]!).toBeLessThanOrEqual(256);
        expectNonIncreasing(sizes);
        if (n <= 10_000) {
          // Each size is within 1 of the continuous allocation: rounding is repaired, not redistributed.
          const continuous = referenceAllocation(shares, P, 1, 256);
          let worst = 0;
          sizes.forEach((d, k) => { worst = Math.max(worst, Math.abs(d - continuous[k]!)); });
          expect(worst).toBeLessThan(1 + 1e-9);
        }
      }
    }
  });

  it("both sides together meet both budget modes exactly, and the store's 16 classes keep it exact", () => {
    const random = rng(seed + 1);
    for (const alpha of [0.1, 0.5, 1, 3, 10, 30]) {
      for (const [users, items] of [[6, 4], [60, 40], [6000, 4000]] as const) {
        const userFrequencies = Int32Array.from({ length: users }, () => randomInt(random, 0, 50));
        const itemFrequencies = Int32Array.from({ length: items }, () => randomInt(random, 0, 50));
        const action = { ratio: random(), userAlpha: alpha, itemAlpha: 30.1 - alpha };
        const meanSize = 1 + random() * 200;
        const totalParams = randomInt(random, users + items, 256 * (users + items) + 1);
        for (const budget of [{ meanSize }, { totalParams }]) {
          const P = "meanSize" in budget ? Math.floor(meanSize * (users + items)) : totalParams;
          const sampled = sampleSizes({ userFrequencies, itemFrequencies, action, budget });
          expect(sampled.totalParams).toBe(P);
          expect(total(sampled.users) + total(sampled.items)).toBe(P);
          const limited = limitSizeClasses([sampled.users, sampled.items],
                                           [rankByFrequency(userFrequencies), rankByFrequency(itemFrequencies)]);
          expect(total(limited[0]!)).toBe(total(sampled.users));
          expect(total(limited[1]!)).toBe(total(sampled.items));
          expect(new Set([...limited[0]!, ...limited[1]!]).size).toBeLessThanOrEqual(16);
          for (const sizes of limited) for (const d of sizes) expect(d >= 1 && d <= 256).toBe(true);
        }
      }
    }
  });

  it("a side with very few ids takes what it can hold and the other side the rest", () => {
    for (const [users, items, ratio] of [[1, 5000, 0.9], [3, 2000, 0.5], [2, 3, 0.99], [4000, 1, 0.01]] as const) {
      for (const budget of [{ meanSize: 32 }, { totalParams: 100 * (users + items) }]) {
        const sampled = sampleSizes({
          userFrequencies: new Int32Array(users).fill(1), itemFrequencies: new Int32Array(items).fill(2),
          action: { ratio, userAlpha: 1, itemAlpha: 1 }, budget,
        });
        expect(total(sampled.users) + total(sampled.items)).toBe(sampled.totalParams);
        for (const d of [...sampled.users, ...sampled.items]) expect(d >= 1 && d <= 256).toBe(true);
      }
    }
    // A budget above every id at 256 is used as far as it can be, and never exceeded.
    const full = sampleSizes({ userFrequencies: [1, 2], itemFrequencies: [3], action: { ratio: 0.5, userAlpha: 1, itemAlpha: 1 },
                               budget: { totalParams: 10_000 } });
    expect([...full.users, ...full.items]).toEqual([256, 256, 256]);
    expect(() => allocateSizes(powerLawShares(10, 1), 9)).toThrow(RangeError);
  });

  it("ranks by current-segment frequency, ties to the larger id, and gives unseen ids the smallest sizes", () => {
    expect(Array.from(rankByFrequency([3, 0, 3, 7, 0]))).toEqual([3, 2, 0, 4, 1]);
    expect(Array.from(rankByFrequency([0.5, 2.5, 0.5]))).toEqual([1, 2, 0]);
    const sizes = assignByRank(Int32Array.from([40, 20, 10, 5, 1]), [3, 0, 3, 7, 0]);
    expect(Array.from(sizes)).toEqual([10, 1, 20, 40, 5]);
    // An unseen id (frequency 0, e.g. a newcomer seen only in test) still gets a size from the sampler.
    const sampled = sampleSizes({ userFrequencies: [5, 0, 9], itemFrequencies: [0, 0, 4, 1],
                                  action: { ratio: 0.4, userAlpha: 0.5, itemAlpha: 2 }, budget: { meanSize: 16 } });
    expect(sampled.users[1]!).toBeGreaterThanOrEqual(1);
    expect(sampled.users[1]!).toBeLessThanOrEqual(Math.min(sampled.users[0]!, sampled.users[2]!));
    expect(sampled.items[0]!).toBeGreaterThanOrEqual(1);
  });

  it("sizes go down as well as up across segments of a stream", () => {
    const data = generateSynthetic({ numUsers: 300, numItems: 200, numRatings: 8000, seed: seed % 1000 });
    const { segments } = scallSegments(data, { newEntityThreshold: 120 });
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const action = { ratio: 0.5, userAlpha: 1, itemAlpha: 1 };
    const sizesOf = (rows: Int32Array) => {
      const frequencies = new Int32Array(data.numUsers);
      for (const r of rows) frequencies[data.users[r]!]! += 1;
      return sampleSizes({ userFrequencies: frequencies, itemFrequencies: new Int32Array(data.numItems), action,
                           budget: { totalParams: 16 * (data.numUsers + data.numItems) } }).users;
    };
    let down = 0;
    let up = 0;
    for (let t = 1; t < segments.length; ++t) {
      const before = sizesOf(segments[t - 1]!.train);
      const after = sizesOf(segments[t]!.train);
      before.forEach((d, u) => {
        if (after[u]! < d) ++down;
        if (after[u]! > d) ++up;
      });
    }
    expect(down).toBeGreaterThan(0);
    expect(up).toBeGreaterThan(0);
  });

  it("snaps to a candidate list without exceeding the budget, short by less than one step", () => {
    const random = rng(seed + 2);
    const candidates = [1, 2, 4, 8, 16, 32, 64, 128, 256];
    for (let trial = 0; trial < 20; ++trial) {
      const n = randomInt(random, 5, 3000);
      const sizes = allocateSizes(powerLawShares(n, 0.1 + random() * 30), randomInt(random, n, 256 * n));
      const order = Int32Array.from({ length: n }, (_, k) => k);
      const snapped = snapToLevels(sizes, order, candidates, false);
      expect(total(snapped)).toBeLessThanOrEqual(total(sizes));
      const smallestStep = Math.min(...Array.from(snapped).filter((d) => d < 256).map((d) => d));  // the step from d is d
      expect(total(sizes) - total(snapped)).toBeLessThan(Number.isFinite(smallestStep) ? smallestStep : 1);
      for (const d of snapped) expect(candidates).toContain(d);
      expect(total(snapToLevels(sizes, order, candidates, true))).toBe(total(sizes));
    }
  });
});

describe("SCALL state", () => {
  it("has 2G + 2 + 2E + 2 entries (1028 by default) whatever the number of ids", () => {
    expect(stateLength()).toBe(1028);
    for (const [users, items] of [[1, 1], [3, 900], [1000, 5]] as const) {
      const state = scallState({
        userFrequencies: new Int32Array(users).fill(2), itemFrequencies: Int32Array.from({ length: items }, (_, i) => i),
        reward: 0.95, userMeanEmbedding: [1, 2], itemMeanEmbedding: new Float64Array(300).fill(0.5), ratio: 0.3,
        userShares: [0.6, 0.4], itemShares: [1], totalParams: 255,
      });
      expect(state.length).toBe(1028);
      expect(state[512]).toBeCloseTo(0.95, 6);
      expect(state[513]).toBeCloseTo(users / (users + items), 6);
      expect(state[514]).toBe(1);
      expect(state[1026]).toBeCloseTo(0.3 * 0.2, 6);
      expect(state[1027]).toBe(0);
    }
  });

  it("mean-pools the sorted, min-max normalised frequencies into equal-width groups", () => {
    expect(Array.from(pooledFrequencies([0, 10, 5, 5], 2))).toEqual([0.75, 0.25]);
    expect(Array.from(pooledFrequencies([4, 2], 4))).toEqual([1, 1, 0, 0]);
    expect(Array.from(pooledFrequencies([], 3))).toEqual([0, 0, 0]);
  });
});

describe("SAC agent", () => {
  it("draws recent transitions more often: p ∝ index + 1", () => {
    const buffer = new ReplayBuffer(4);
    const state = new Float32Array(1);
    for (let k = 0; k < 6; ++k) buffer.push({ state, action: new Float32Array(1), reward: k, nextState: state });
    expect(buffer.size).toBe(4);                                  // rewards 2..5 remain, oldest first
    const counts = [0, 0, 0, 0];
    const draws = 40_000;
    for (const t of buffer.sample(draws, rng(seed + 3))) counts[t.reward - 2]! += 1;
    counts.forEach((c, i) => expect(Math.abs(c / draws - (i + 1) / 10)).toBeLessThan(0.015));
  });

  it("updates with batches of 1, then 8 once more than 12 transitions are held, with finite losses", () => {
    const agent = new SacAgent({ stateDim: 6, hidden: 16, seed: seed % 1000 });
    const random = rng(seed + 4);
    const state = () => Float32Array.from({ length: 6 }, () => random());
    for (let k = 0; k < 14; ++k) {
      const s = state();
      const action = agent.act(s);
      expect(action.length).toBe(3);
      for (const a of action) expect(Math.abs(a)).toBeLessThan(1);
      agent.remember({ state: s, action, reward: random(), nextState: state() });
      const losses = agent.update();
      expect(losses.batchSize).toBe(k + 1 > 12 ? 8 : 1);
      expect(Number.isFinite(losses.criticLoss) && Number.isFinite(losses.actorLoss)).toBe(true);
    }
    expect(() => agent.remember({ state: new Float32Array(5), action: new Float32Array(3), reward: 0, nextState: state() }))
      .toThrow(/state has length 5/);
  });

  it("raises the log-probability of the action with the higher reward", () => {
    const agent = new SacAgent({ stateDim: 4, hidden: 32, seed: seed % 1000, criticLearningRate: 3e-3, actorLearningRate: 1e-3 });
    const s = Float32Array.of(0.5, -0.2, 0.1, 0.3);
    const good = Float32Array.of(0.6, 0.6, 0.6);
    const bad = Float32Array.of(-0.6, -0.6, -0.6);
    const before = agent.logProb(s, good) - agent.logProb(s, bad);
    for (let k = 0; k < 20; ++k) {
      agent.remember({ state: s, action: good, reward: 1, nextState: s, done: true });
      agent.remember({ state: s, action: bad, reward: -1, nextState: s, done: true });
    }
    for (let k = 0; k < 300; ++k) agent.update();
    const after = agent.logProb(s, good) - agent.logProb(s, bad);
    expect(after).toBeGreaterThan(before);
    expect(after).toBeGreaterThan(0);
  });

  it("maps the squashed action onto the ratio and α in [0.1, 30]", () => {
    expect(actionToSizes([-1, -1, 1])).toEqual({ ratio: 0, userAlpha: 0.1, itemAlpha: 30 });
    expect(actionToSizes([0, 0, 0]).userAlpha).toBeCloseTo(15.05, 10);
  });
});

describe("SCALL through search()", () => {
  const data = generateSynthetic({ numUsers: 120, numItems: 80, numRatings: 3000, seed: 5 });
  const settings = {
    newEntityThreshold: 70, envSteps: 2, minEnvSteps: 1, envTrainSteps: 3, trainSteps: 6, evalEvery: 3,
    batchSize: 128, stateGroups: 8, hidden: 16, maxSegments: 3,
  };

  it("ends with a plan that uses the byte budget (never over, at least 99.9%) and reports Recall@20", async () => {
    const phases: string[] = [];
    const result = await search({ method: "scall", task: "implicit", data, budget: { ratio: 0.05 }, seed: seed % 1000, settings,
                                  onProgress: (p) => phases.push(p.phase) });
    expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
    expect(result.bytes).toBeGreaterThanOrEqual(0.999 * result.budgetBytes!);
    expect(planBytes(result.plan)).toBe(result.bytes);
    expect(result.plan.candidates.length).toBeLessThanOrEqual(16);
    for (const d of [...result.plan.tables.users!, ...result.plan.tables.items!]) expect(d >= 1 && d <= 256).toBe(true);
    expect(result.searchMetrics.segments).toBe(3);
    expect(result.searchMetrics.envSteps).toBe(4);
    expect(result.metrics.recall20).toBeGreaterThanOrEqual(0);
    expect(phases).toContain("search 1");
    expect(phases).toContain("segment 2");
  });

  it("holds a mean size c exactly over every id, unseen ones included", async () => {
    const sparse = { ...data, numUsers: data.numUsers + 3, userIds: Float64Array.from({ length: data.numUsers + 3 }, (_, u) => u) };
    const result = await search({ method: "scall", data: sparse, seed: 1, settings: { ...settings, meanSize: 12.5 } });
    const ids = sparse.numUsers + sparse.numItems;
    expect(result.bytes).toBe(4 * Math.floor(12.5 * ids));
    // Users 120..122 never occur: they still have sizes.
    for (let u = data.numUsers; u < sparse.numUsers; ++u) expect(result.plan.tables.users![u]!).toBeGreaterThanOrEqual(1);
  });
});

describe("ScallController", () => {
  it("resizes the user's tables: new ids added, rows shrunk by truncation and grown with zeros, within the budget", () => {
    const candidates = [1, 2, 4, 8, 16, 32, 64];
    const users = new MixedDimEmbedding({ candidates, sizes: new Int32Array(20).fill(8), seed: 1 });
    const items = new MixedDimEmbedding({ candidates, sizes: new Int32Array(10).fill(8), seed: 2 });
    const controller = new ScallController({ users, items, budget: { meanSize: 8 }, stateGroups: 4, hidden: 16,
                                             explore: false, seed: 3 });
    const first = controller.step({
      userFrequencies: Int32Array.from({ length: 20 }, (_, u) => 20 - u), itemFrequencies: Int32Array.from({ length: 10 }, (_, i) => i),
    });
    expect(total(first.users) + total(first.items)).toBeLessThanOrEqual(8 * 30);
    const rowsOf = (table: MixedDimEmbedding, n: number) => table.store.readRows(Int32Array.from({ length: n }, (_, k) => k));
    const before = [rowsOf(users, 20), rowsOf(items, 10)];
    // The next segment reverses both sides' activity and brings 5 new users and 2 new items.
    const second = controller.step({
      userFrequencies: Int32Array.from({ length: 25 }, (_, u) => u), itemFrequencies: Int32Array.from({ length: 12 }, (_, i) => 12 - i),
      fitness: 0.2, convFitness: 0.19,
    });
    expect(users.numRows).toBe(25);
    expect(items.numRows).toBe(12);
    expect(Array.from(users.sizes())).toEqual(Array.from(second.users));
    expect(Array.from(items.sizes())).toEqual(Array.from(second.items));
    expect(total(second.users) + total(second.items)).toBeLessThanOrEqual(8 * 37);
    expect(total(second.users) + total(second.items)).toBeGreaterThan(8 * 37 - 64);
    const after = [rowsOf(users, 20), rowsOf(items, 10)];
    let shrunk = 0;
    let grown = 0;
    [[first.users, second.users], [first.items, second.items]].forEach(([old, now], side) => {
      for (let id = 0; id < old!.length; ++id) {
        const [d0, d1] = [old![id]!, now![id]!];
        if (d1 < d0) ++shrunk;
        if (d1 > d0) ++grown;
        for (let j = 0; j < 64; ++j) {
          expect(after[side]![id * 64 + j]).toBe(j < Math.min(d0, d1) ? before[side]![id * 64 + j]! : 0);
        }
      }
    });
    expect(shrunk).toBeGreaterThan(0);
    expect(grown).toBeGreaterThan(0);
  });
});

describe.runIf(backend().cudaDevices.length > 0)("SCALL on CUDA", () => {
  it("runs the method on the GPU and ends within the budget", async () => {
    const data = generateSynthetic({ numUsers: 120, numItems: 80, numRatings: 3000, seed: 5 });
    const result = await search({
      method: "scall", data, budget: { ratio: 0.05 }, device: "cuda", seed: 1,
      settings: { newEntityThreshold: 70, envSteps: 2, minEnvSteps: 1, envTrainSteps: 3, trainSteps: 6, evalEvery: 3,
                  batchSize: 128, stateGroups: 8, hidden: 16, maxSegments: 3 },
    });
    expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes!);
    expect(result.bytes).toBeGreaterThanOrEqual(0.999 * result.budgetBytes!);
  });
});
