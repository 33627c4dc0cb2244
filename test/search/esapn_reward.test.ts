/**
 * ESAPN's rewards and policies (issue #14): the delayed reward (each sampled action applied,
 * rewarded once at its id's next occurrence), the frozen policy, and β in the policy's state.
 */
import { describe, expect, it } from "vitest";
import { generateSynthetic, MixedDimEmbedding, ProjectionChain } from "mixdim";
import { search } from "../../ts/search/search.js";
import { EsapnController, type EsapnActionRule } from "../../ts/search/esapn/controller.js";
import { runEsapnStream } from "../../ts/search/esapn/esapn.js";
import { PendingActions } from "../../ts/search/esapn/pending_actions.js";
import { enlarge, keep, SizePolicy } from "../../ts/search/esapn/policy.js";
import { rng, testSeed } from "../support/random.js";

const seed = testSeed("esapn reward");
const candidates = [2, 4, 8, 16, 64, 128];

describe("actions waiting for a delayed reward", () => {
  it("are rewarded once, at their id's next occurrence, with the baseline minus that occurrence's first loss", () => {
    const pending = new PendingActions();
    pending.add(Int32Array.of(3, 7), Int32Array.of(4, 1), Int32Array.of(0, 2), Float32Array.of(0.5, 0.25),
                Uint8Array.of(enlarge, keep), Float32Array.of(0.75, 0.5));
    expect(pending.size).toBe(2);
    // Id 3 occurs twice in this batch: its first sample's loss (0.25) counts. Id 9 never waited.
    const first = pending.reward(Int32Array.of(9, 3, 3), Float32Array.of(0.1, 0.25, 0.125));
    expect(Array.from(first.ids)).toEqual([3]);
    expect(Array.from(first.frequencies)).toEqual([4]);
    expect(Array.from(first.sizeIndices)).toEqual([0]);
    expect(Array.from(first.budgetLeft)).toEqual([0.5]);
    expect(Array.from(first.actions)).toEqual([enlarge]);
    expect(Array.from(first.rewards)).toEqual([0.75 - 0.25]);
    expect(pending.reward(Int32Array.of(3), Float32Array.of(0)).ids.length).toBe(0);
    const restored = new PendingActions();
    restored.restore(pending.snapshot());
    const second = restored.reward(Int32Array.of(7), Float32Array.of(0.125));
    expect(Array.from(second.actions)).toEqual([keep]);
    expect(Array.from(second.rewards)).toEqual([0.5 - 0.125]);
    expect(restored.size).toBe(0);
  });
});

describe("a reward horizon of several occurrences", () => {
  it("rewards an action with the baseline minus the mean of its next H occurrences' first losses, and says it still waits", () => {
    const pending = new PendingActions(2);
    pending.add(Int32Array.of(4), Int32Array.of(2), Int32Array.of(1), Float32Array.of(0), Uint8Array.of(enlarge), Float32Array.of(1));
    expect(pending.waitsBeyondNext(4)).toBe(true);
    expect(pending.waitsBeyondNext(5)).toBe(false);
    expect(pending.reward(Int32Array.of(4, 4), Float32Array.of(0.5, 0.25)).ids.length).toBe(0);
    expect(pending.waitsBeyondNext(4)).toBe(false);
    const restored = new PendingActions(2);
    restored.restore(pending.snapshot());
    const rewarded = restored.reward(Int32Array.of(4), Float32Array.of(0.25));
    expect(Array.from(rewarded.rewards)).toEqual([1 - (0.5 + 0.25) / 2]);
  });
});

describe("the controller with the delayed reward", () => {
  function controllerOver(reward: "immediate" | "delayed", policy: "learned" | "frozen" = "learned") {
    const embedding = new MixedDimEmbedding({ candidates, sizes: new Int32Array(40).fill(2), seed: 3, initStd: 0.1 });
    const chain = new ProjectionChain({ dims: candidates, seed: 4 });
    const controller = new EsapnController({ sides: { users: { embedding, chain } }, reward, policy, hidden: 16, learningRate: 0.05, seed });
    return { controller, embedding };
  }
  const batch = (ids: number[], step: number) =>
    ({ users: { ids: Int32Array.from(ids), frequencies: Int32Array.from(ids, () => step + 1) } });

  it("applies the sampled actions, and rewards each at its id's next occurrence with mean_T(losses before) − its loss there", () => {
    const { controller, embedding } = controllerOver("delayed");
    const random = rng(seed);
    const ids = Array.from({ length: 40 }, (_, k) => k);
    const losses = (step: number) => Float32Array.from(ids, (id) => 1 / (1 + id + step));
    // Batch 0's actions have no baseline (no history yet) and never wait; batch 1's wait, with
    // baseline = batch 0's loss; batch 2 rewards them.
    controller.act(batch(ids, 0));
    controller.observe(batch(ids, 0), losses(0));
    const sizes0 = embedding.sizes();
    controller.act(batch(ids, 1));
    const grew = Array.from(embedding.sizes()).map((d, id) => d > sizes0[id]!);
    expect(grew.some((g) => g)).toBe(true);
    expect(grew.some((g) => !g)).toBe(true);
    controller.observe(batch(ids, 1), losses(1));
    // The ids act() grew at batch 1 are rewarded at batch 2, the others as "keep"; every id once.
    controller.act(batch(ids, 2));
    const shuffled = ids.slice().sort(() => random() - 0.5);
    const rewarded = controller.observe(batch(shuffled, 2), Float32Array.from(shuffled, (id) => 1 / (3 + id)));
    const got = rewarded.users!;
    expect(got.ids.length).toBe(40);
    got.ids.forEach((id, r) => {
      const baseline = 1 / (1 + id);
      expect(got.rewards[r]!).toBeCloseTo(baseline - 1 / (3 + id), 6);
      expect(got.actions[r]).toBe(grew[id] ? enlarge : keep);
    });
    expect(() => controller.update(new Float32Array(40))).toThrow(/with reward "delayed" the policy learns in observe\(\)/);
  });

  it("never changes a frozen policy's weights, under either reward", async () => {
    const data = generateSynthetic({ numUsers: 120, numItems: 80, numRatings: 3000, seed: 11 });
    for (const reward of ["immediate", "delayed"] as const) {
      const { controller } = controllerOver(reward, "frozen");
      const before = controller.policy("users").state();
      const ids = Array.from({ length: 40 }, (_, k) => k);
      for (let step = 0; step < 4; ++step) {
        controller.act(batch(ids, step));
        controller.observe(batch(ids, step), Float32Array.from(ids, (id) => 1 / (1 + id + step)));
        if (reward === "immediate") controller.update(Float32Array.from(ids, (id) => 1 / (2 + id + step)));
      }
      const after = controller.policy("users").state();
      for (const [name, value] of Object.entries(before)) {
        if (name.includes("running")) continue;  // batch norms' statistics move in any forward pass
        expect(Array.from(after[name]!), `${reward} ${name}`).toEqual(Array.from(value));
      }
      const result = await runEsapnStream(data, { task: "binary", candidates, seed: 1,
                                                  settings: { batchSize: 250, hidden: 16, policyHidden: 16, reward, policy: "frozen" } });
      expect(result.metrics.testAccuracy).toBeGreaterThan(0.3);
    }
  });
});

describe("a rule in the policy's place", () => {
  function controllerWith(rule: EsapnActionRule, reward: "immediate" | "delayed" = "delayed") {
    const embedding = new MixedDimEmbedding({ candidates, sizes: new Int32Array(12).fill(2), seed: 3, initStd: 0.1 });
    const chain = new ProjectionChain({ dims: candidates, seed: 4 });
    return { embedding, controller: new EsapnController({ sides: { users: { embedding, chain } }, reward, policy: rule, hidden: 16,
                                                          learningRate: 0.05, seed }) };
  }

  it("decides from each deciding sample's frequency and size, its enlargements are applied, and no policy learns", () => {
    for (const reward of ["immediate", "delayed"] as const) {
      const seen: { ids: number[]; frequencies: number[]; sizeIndices: number[]; budgetLeft: number | undefined }[] = [];
      // Enlarge what has occurred at least three times.
      const { controller, embedding } = controllerWith((side, samples) => {
        expect(side).toBe("users");
        seen.push({ ids: Array.from(samples.ids), frequencies: Array.from(samples.frequencies),
                    sizeIndices: Array.from(samples.sizeIndices), budgetLeft: samples.budgetLeft });
        return Uint8Array.from(samples.frequencies, (f) => (f >= 3 ? 1 : 0));
      }, reward);
      expect(controller.policyMode).toBe("rule");
      const before = controller.policy("users").state();
      // Id 5 occurs twice: its last sample (frequency 3) decides. Id 11 is already at the largest size and does not decide.
      embedding.resize(Int32Array.of(11), Int32Array.of(candidates[candidates.length - 1]!));
      const ids = Int32Array.of(0, 5, 1, 5, 2, 11);
      const frequencies = Int32Array.of(4, 2, 1, 3, 3, 9);
      const batch = { users: { ids, frequencies } };
      controller.act(batch);
      expect(seen).toEqual([{ ids: [0, 1, 5, 2], frequencies: [4, 1, 3, 3], sizeIndices: [0, 0, 0, 0], budgetLeft: undefined }]);
      expect(Array.from(embedding.sizes().slice(0, 6))).toEqual([4, 2, 4, 2, 2, 4]);
      controller.observe(batch, Float32Array.of(0.5, 0.4, 0.3, 0.2, 0.1, 0.6));
      controller.act(batch);
      controller.observe(batch, Float32Array.of(0.4, 0.3, 0.2, 0.1, 0.1, 0.5));
      if (reward === "immediate") controller.update(Float32Array.of(0.3, 0.3, 0.2, 0.1, 0.1, 0.5));
      expect(seen[1]!.sizeIndices).toEqual([1, 0, 1, 1]);
      const after = controller.policy("users").state();
      for (const [name, value] of Object.entries(before)) {
        if (name.includes("running")) continue;  // batch norms' statistics move in any forward pass
        expect(Array.from(after[name]!), `${reward} ${name}`).toEqual(Array.from(value));
      }
    }
  });

  it("sees β under a budget, and the budget refuses what does not fit, the most frequent first", () => {
    const embedding = new MixedDimEmbedding({ candidates, sizes: new Int32Array(12).fill(2), seed: 3, initStd: 0.1 });
    const chain = new ProjectionChain({ dims: candidates, seed: 4 });
    // 12 ids at 2 floats hold 96 bytes; 16 more fit, two enlargements from 2 to 4.
    let beta: number | undefined;
    const controller = new EsapnController({ sides: { users: { embedding, chain } }, reward: "delayed", budgetBytes: 112, hidden: 16, seed,
                                             policy: (_, samples) => { beta = samples.budgetLeft; return new Uint8Array(samples.ids.length).fill(1); } });
    controller.act({ users: { ids: Int32Array.of(0, 1, 2, 3, 4, 5), frequencies: Int32Array.of(1, 6, 2, 5, 3, 4) } });
    expect(beta).toBeCloseTo(16 / 112, 6);
    expect(Array.from(embedding.sizes().slice(0, 6))).toEqual([2, 4, 2, 4, 2, 2]);
  });

  it("refuses a rule's answer that is not one 0 or 1 per deciding sample, naming policy", () => {
    const batch = { users: { ids: Int32Array.of(0, 1, 2), frequencies: Int32Array.of(1, 1, 1) } };
    expect(() => controllerWith(() => new Uint8Array(2)).controller.act(batch)).toThrow(RangeError);
    expect(() => controllerWith(() => new Uint8Array(2)).controller.act(batch))
      .toThrow(/policy \(a rule\) returned 2 actions for side "users" but 3 samples decide/);
    expect(() => controllerWith(() => Uint8Array.of(0, 2, 1)).controller.act(batch)).toThrow(/returned 2 at 1 .*0 \(keep\) or 1 \(enlarge\)/);
    expect(() => controllerWith((() => Int32Array.of(0, 1, 1)) as unknown as EsapnActionRule).controller.act(batch))
      .toThrow(TypeError);
  });
});

describe("β in the policy's state", () => {
  it("changes the logits through the output layer, and the fast path for few rows agrees with forward()", () => {
    const policy = new SizePolicy({ numSizes: 6, hidden: 32, budgetFeature: true, seed: 5 });
    const random = rng(seed);
    const frequencies = Int32Array.from({ length: 64 }, () => 1 + Math.floor(random() * 50));
    const sizes = Int32Array.from({ length: 64 }, () => Math.floor(random() * 5));
    const full = (beta: number) => policy.forward(frequencies, sizes, new Float32Array(64).fill(beta)).value.toArray();
    const half = full(0.5);
    const none = full(0);
    // The output layer's weight on β, times β, is the whole difference in each logit.
    const w = policy.output.weight.value.toArray();
    const hidden = 32;
    for (let b = 0; b < 64; ++b) {
      for (let k = 0; k < 2; ++k) expect(half[2 * b + k]! - none[2 * b + k]!).toBeCloseTo(0.5 * w[hidden * 2 + k]!, 4);
    }
    const rows = Int32Array.of(3, 17, 40);
    const fast = policy.actionLogits(frequencies, sizes, rows, new Float32Array(64).fill(0.5));
    const again = full(0.5);
    rows.forEach((b, r) => {
      for (let k = 0; k < 2; ++k) expect(fast[2 * r + k]!).toBeCloseTo(again[2 * b + k]!, 3);
    });
    expect(() => policy.forward(frequencies, sizes)).toThrow(/budgetLeft must be a Float32Array/);
    expect(() => policy.forward(frequencies, sizes, new Float32Array(64).fill(2))).toThrow(/budgetLeft\[0\] = 2 must be in \[0, 1\]/);
    const plain = new SizePolicy({ numSizes: 6, hidden: 32, seed: 5 });
    expect(() => plain.forward(frequencies, sizes, new Float32Array(64))).toThrow(/no budget feature/);
  });
});

describe("ESAPN's reward and policy settings", () => {
  it("rejects values it does not know, naming the setting", async () => {
    const data = generateSynthetic({ numUsers: 30, numItems: 20, numRatings: 500, seed: 1 });
    await expect(search({ method: "esapn", data, settings: { reward: "later" } })).rejects.toThrow(/settings\.reward/);
    await expect(search({ method: "esapn", data, settings: { policy: "fixed" } })).rejects.toThrow(/settings\.policy/);
    await expect(search({ method: "esapn", data, settings: { rewardHorizon: 3 } })).rejects.toThrow(/rewardHorizon = 3 needs reward "delayed"/);
  });
});
