/**
 * The modules under the CLI, in process: the plan and weights export formats, resumable plan
 * training against runRatingExperiment, the data prefix, and the one-line errors.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

import { oneLine, RunInterrupted } from "../../ts/cli/cli_errors.js";
import { firstRatings } from "../../ts/cli/data_source.js";
import { trainPlan } from "../../ts/cli/plan_training.js";
import { formatTable } from "../../ts/cli/summary_table.js";
import { generateSynthetic } from "../../ts/data/synthetic.js";
import { planFromJson, planText, readPlan, writePlan } from "../../ts/export/plan_export.js";
import { exportTensors, moduleShapes } from "../../ts/export/weights_export.js";
import { MlpRecommender } from "../../ts/models/mlp_recommender.js";
import type { SizePlan } from "../../ts/plan/size_plan.js";
import { runRatingExperiment } from "../../ts/training/rating_experiment.js";
import { rng, testSeed } from "../support/random.js";

const scratch = () => mkdtempSync(path.join(tmpdir(), "mixdim-cli-"));

function randomPlan(seed: number, users: number, items: number): SizePlan {
  const random = rng(seed);
  const candidates = [2, 4, 8, 16];
  const draw = (n: number) => Int32Array.from({ length: n }, () => candidates[Math.floor(random() * candidates.length)]!);
  return { candidates, tables: { users: draw(users), items: draw(items) } };
}

describe("plan.json", () => {
  it("round-trips a plan, each table on one line", async () => {
    const plan = randomPlan(testSeed("plan.json"), 37, 11);
    const file = path.join(scratch(), "plan.json");
    await writePlan(file, plan);
    const back = await readPlan(file);
    expect(back.candidates).toEqual(plan.candidates);
    expect(Array.from(back.tables.users!)).toEqual(Array.from(plan.tables.users!));
    expect(Array.from(back.tables.items!)).toEqual(Array.from(plan.tables.items!));
    expect(planText(plan).split("\n")).toHaveLength(11);
  });

  it("refuses what is not a plan, saying why", () => {
    expect(() => planFromJson([], "p.json")).toThrow(/p\.json is not a mixdim plan: it is not a JSON object/);
    expect(() => planFromJson({ candidates: [4, 2], tables: {} })).toThrow(/strictly increasing/);
    expect(() => planFromJson({ candidates: [2, 4], tables: { users: [2, 3] } })).toThrow(/tables\.users\[1\] = 3 is not one of the candidates/);
    expect(() => planFromJson({ format: "other", candidates: [2], tables: {} })).toThrow(/format is "other"/);
    expect(() => planFromJson({ candidates: [2], tables: { users: 2 } })).toThrow(/tables\.users must be an array/);
  });
});

describe("weights export", () => {
  it("gives each table rows at their own sizes, I64 offsets and I32 sizes, and dense weights their shapes", () => {
    const seed = testSeed("weights export");
    const plan = randomPlan(seed, 23, 9);
    const model = new MlpRecommender({ plan, outputs: 1, hidden: 8, seed });
    const state = model.state();
    const exported = exportTensors(state, moduleShapes(model));
    for (const table of ["users", "items"]) {
      const sizes = plan.tables[table]!;
      const offsets = exported.tensors[`${table}.offsets`]!.data as BigInt64Array;
      const rows = exported.tensors[`${table}.rows`]!.data as Float32Array;
      const padded = model[table as "users" | "items"].embedding.store.readRows(Int32Array.from(sizes, (_, i) => i));
      const width = model[table as "users" | "items"].embedding.maxDim;
      expect(offsets.length).toBe(sizes.length + 1);
      expect(Number(offsets[sizes.length])).toBe(rows.length);
      sizes.forEach((d, i) => {
        expect(Number(offsets[i + 1]! - offsets[i]!)).toBe(d);
        expect(Array.from(rows.subarray(Number(offsets[i]), Number(offsets[i + 1])))).toEqual(Array.from(padded.subarray(i * width, i * width + d)));
      });
      expect(exported.tables.find((t) => t.name === table)).toEqual({ name: table, source: `${table}.embedding.weight`, ids: sizes.length,
                                                                       bytes: sizes.reduce((a, b) => a + b, 0) * 4 });
    }
    expect(exported.tensors["hidden.weight"]!.shape).toEqual([32, 8]);
    expect(exported.tensors["inputNorm.runningMean"]!.shape).toEqual([32]);
  });

  it("refuses rows that do not match their sizes, and a shape that does not hold a weight", () => {
    const sizes = Int32Array.from([2, 3]);
    expect(() => exportTensors({ "t.sizes": sizes, "t.rows": new Float32Array(4) })).toThrow(/t\.rows holds 4 values but its sizes add up to 5/);
    expect(() => exportTensors({ w: new Float32Array(6) }, { w: [4, 2] })).toThrow(/shapes\.w = \[4, 2\] does not hold/);
  });
});

describe("trainPlan", () => {
  const data = generateSynthetic({ numUsers: 150, numItems: 120, numRatings: 4000, seed: 5 });
  const plan = randomPlan(9, data.numUsers, data.numItems);
  plan.tables.users!.fill(8);
  plan.tables.items!.fill(8);
  const fixed: SizePlan = { candidates: [8], tables: plan.tables };

  it("scores exactly as runRatingExperiment does", async () => {
    const seed = testSeed("trainPlan");
    for (const task of ["binary", "multiclass"] as const) {
      const reference = runRatingExperiment(data, { task, plan: fixed, seed });
      const { metrics } = await trainPlan(data, fixed, { task, seed });
      expect(metrics.testAccuracy).toBe(reference.test.accuracy);
      expect(metrics.testLoss).toBeCloseTo(reference.test.loss, 10);
      expect(metrics.majorityAccuracy).toBe(reference.baselines.majority.accuracy);
    }
  });

  it("interrupted, saved and resumed, ends where an uninterrupted run ends", async () => {
    const dir = path.join(scratch(), "checkpoint");
    const whole = await trainPlan(data, plan, { task: "binary", epochs: 2, seed: 1 });
    const controller = new AbortController();
    const interrupted = trainPlan(data, plan, {
      task: "binary", epochs: 2, seed: 1, signal: controller.signal,
      onProgress: (p) => { if (p.phase === "train 2/2" && p.step === 3) controller.abort(); },
      interruptTo: { dir, state: { note: "test" } },
    });
    await expect(interrupted).rejects.toThrow(RunInterrupted);
    const resumed = await trainPlan(data, plan, { task: "binary", epochs: 2, seed: 1, resumeFrom: dir });
    const { samplesPerSecond: _a, ...a } = resumed.metrics;
    const { samplesPerSecond: _b, ...b } = whole.metrics;
    expect(a).toEqual(b);
    await expect(trainPlan(data, fixed, { task: "binary", epochs: 2, seed: 1, resumeFrom: dir })).rejects.toThrow(/trained a different plan/);
  });
});

describe("the CLI's pieces", () => {
  it("firstRatings keeps a prefix of each table's ids", () => {
    const data = generateSynthetic({ numUsers: 300, numItems: 200, numRatings: 3000, numFields: 2, seed: 2 });
    const head = firstRatings(data, 500);
    expect(head.users.length).toBe(500);
    expect(Math.max(...head.users)).toBe(head.numUsers - 1);
    expect(new Set(head.users).size).toBe(head.numUsers);
    expect(new Set(head.items).size).toBe(head.numItems);
    expect(head.fields!.values.length).toBe(500 * 2);
  });

  it("oneLine keeps the first line and commander's suggestion", () => {
    expect(oneLine(new Error("error: unknown option '--x'\n(Did you mean --y?)"))).toBe("unknown option '--x' (Did you mean --y?)");
    expect(oneLine(new RangeError("first\n  second"))).toBe("first");
  });

  it("formatTable aligns columns and right-aligns numbers", () => {
    expect(formatTable([{ run: "a", n: 1 }, { run: "bbb", n: 1234 }])).toBe("run      n\n---  -----\na        1\nbbb  1,234");
  });
});
