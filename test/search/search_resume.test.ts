/**
 * Stopping a search with a snapshot and continuing it (SearchOptions.checkpoint): for every
 * method, a search aborted after a few progress events and resumed from its snapshot, written
 * to disk and read back, ends with the plan, the metrics and the history of a search that was
 * never stopped. The data are the CLI's synthetic default cut to 3000 ratings and the settings
 * the small bounded ones of test/cli/methods.test.ts.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

import { defaultSynthetic, firstRatings } from "../../ts/cli/data_source.js";
import { generateSynthetic } from "../../ts/data/synthetic.js";
import { search } from "../../ts/search/search.js";
import { finishedSnapshot, loadSearchSnapshot, saveSearchSnapshot, searchFingerprint } from "../../ts/search/search_snapshot.js";
import type { SearchOptions, SearchResult, SearchSnapshot } from "../../ts/search/search_types.js";

const data = firstRatings(generateSynthetic(defaultSynthetic), 3000);

const runs: Record<string, Omit<SearchOptions, "data">> = {
  fixed: { method: "fixed", task: "ctr" },
  mde: { method: "mde" },
  "darts (per id)": { method: "darts", settings: { hidden: 32 } },
  "darts (per field)": { method: "darts", task: "ctr", settings: { hidden: [16] } },
  autoemb: { method: "autoemb", settings: { hidden: 32, controllerHidden: 16, frequencyDim: 4 } },
  autodim: { method: "autodim", task: "ctr", settings: { batchSize: 64 } },
  esapn: { method: "esapn", settings: { batchSize: 250, hidden: 32, policyHidden: 32 } },
  // A budget that binds while training (the table would reach 53,584 bytes), and actions waiting across the abort.
  "esapn (delayed reward, budget)": { method: "esapn", budget: { ratio: 0.08 },
                                      settings: { batchSize: 250, hidden: 32, policyHidden: 32, reward: "delayed" } },
  scall: { method: "scall", task: "implicit", settings: { newEntityThreshold: 150, envSteps: 2, minEnvSteps: 1, envTrainSteps: 3,
                                                          trainSteps: 6, evalEvery: 3, batchSize: 128, stateGroups: 8, hidden: 16,
                                                          maxSegments: 3 } },
};

/**
 * What a resumed run cannot repeat: timing, and ESAPN's allocated bytes (a restored table packs
 * its rows afresh, so its free slots differ from those of the table that grew batch by batch).
 */
function withoutTiming(metrics: Record<string, number>): Record<string, number> {
  const { samplesPerSecond: _, searchSamplesPerSecond: ___, peakAllocatedBytes: __, ...rest } = metrics;
  return rest;
}

function expectSameRun(resumed: SearchResult, whole: SearchResult): void {
  expect(Object.keys(resumed.plan.tables)).toEqual(Object.keys(whole.plan.tables));
  for (const [name, sizes] of Object.entries(whole.plan.tables)) {
    expect(Array.from(resumed.plan.tables[name]!), `table ${name}`).toEqual(Array.from(sizes));
  }
  expect(resumed.bytes).toBe(whole.bytes);
  expect(withoutTiming(resumed.metrics)).toEqual(withoutTiming(whole.metrics));
  expect(resumed.history).toEqual(whole.history);
}

describe("a search aborted and resumed from its snapshot", () => {
  for (const [name, run] of Object.entries(runs)) {
    it(`${name} ends with the uninterrupted run's plan, metrics and history`, async () => {
      const options: SearchOptions = { budget: { ratio: 0.5 }, ...run, data, seed: 1 };
      const whole = await search(options);
      const events = whole.history.length;
      // FIXED and MDE report their plan and retrain it: they stop before the retraining.
      if (run.method !== "fixed" && run.method !== "mde") expect(events, "progress events to stop at").toBeGreaterThan(2);

      const dir = path.join(mkdtempSync(path.join(tmpdir(), "mixdim-resume-")), "checkpoint");
      const controller = new AbortController();
      let seen = 0;
      let saved: SearchSnapshot | undefined;
      const stopped = search({
        ...options, signal: controller.signal,
        onProgress: () => { if (++seen === Math.ceil(events / 2)) controller.abort(); },
        checkpoint: { save: async (snapshot) => { saved = snapshot; await saveSearchSnapshot(dir, snapshot); } },
      });
      await expect(stopped).rejects.toThrow(/abort/i);
      expect(saved, "the snapshot save() received").toBeDefined();
      expect(saved!.method).toBe(run.method);
      expect(saved!.history.length).toBeLessThan(events);
      expect("finished" in saved!.state, "a snapshot of an unfinished search").toBe(false);

      const resume = await loadSearchSnapshot(dir);
      const resumed = await search({ ...options, checkpoint: { save: async () => {}, resume } });
      expectSameRun(resumed, whole);
    }, 120_000);
  }
});

describe("search() with checkpoint", () => {
  const options: SearchOptions = { ...runs.fixed!, data, budget: { ratio: 0.5 }, seed: 1 };

  it("resumes a search that had finished when it was stopped without running the method again (only the plan's retraining)", async () => {
    const whole = await search(options);
    const snapshot: SearchSnapshot = {
      // What the search had reported when its method returned: the plan's retraining comes after.
      method: "fixed", history: whole.history.filter((e) => e.phase !== "retrain"), ...finishedSnapshot({ plan: whole.plan, searchMetrics: whole.searchMetrics, peakSearchBytes: whole.peakSearchBytes }),
      fingerprint: searchFingerprint({ method: "fixed", task: "ctr", candidates: [2, 4, 8, 16, 64, 128], seed: 1,
                                       budgetBytes: whole.budgetBytes, settings: {}, data }),
    };
    const phases: string[] = [];
    const resumed = await search({ ...options, onProgress: (p) => phases.push(p.phase), checkpoint: { save: async () => {}, resume: snapshot } });
    expect(phases).toEqual(["retrain"]);
    expectSameRun(resumed, whole);
  });

  it("stops a running search when its signal aborts from a timer, and the resumed search ends as an uninterrupted one", async () => {
    const darts: SearchOptions = { ...runs["darts (per id)"]!, data, seed: 1, settings: { hidden: 32, evaluatePlan: false } };
    const whole = await search(darts);
    const controller = new AbortController();
    let saved: SearchSnapshot | undefined;
    let events = 0;
    // Not from onProgress itself: the abort arrives only if the search's loop lets the event loop run.
    const stopped = search({ ...darts, signal: controller.signal,
                             onProgress: () => { if (++events === 1) setTimeout(() => controller.abort(), 50); },
                             checkpoint: { save: async (snapshot) => { saved = snapshot; } } });
    await expect(stopped).rejects.toThrow(/abort/i);
    expect(events).toBeGreaterThan(0);
    expect(saved!.history.length).toBeLessThan(whole.history.length);
    const resumed = await search({ ...darts, checkpoint: { save: async () => {}, resume: saved! } });
    expectSameRun(resumed, whole);
  });

  it("refuses to resume another search's snapshot, and a malformed hook, by name", async () => {
    const controller = new AbortController();
    let saved: SearchSnapshot | undefined;
    await expect(search({ ...options, signal: controller.signal, onProgress: () => controller.abort(),
                          checkpoint: { save: async (snapshot) => { saved = snapshot; } } })).rejects.toThrow(/abort/i);
    await expect(search({ ...options, seed: 2, checkpoint: { save: async () => {}, resume: saved! } }))
      .rejects.toThrow(/checkpoint\.resume was saved by a different search/);
    await expect(search({ ...options, method: "mde", checkpoint: { save: async () => {}, resume: saved! } }))
      .rejects.toThrow(RangeError);
    await expect(search({ ...options, checkpoint: { resume: saved! } as never })).rejects.toThrow(/checkpoint must be an object/);
  });

  it("keeps NaN and infinite numbers of a snapshot's state through its directory", async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "mixdim-resume-")), "checkpoint");
    const snapshot: SearchSnapshot = {
      method: "darts", fingerprint: "f", history: [{ phase: "search", step: 0, bytes: 8, loss: NaN }],
      state: { sums: [NaN, Infinity, -Infinity, 1.5], nested: { left: undefined, right: 2 } },
      tensors: { "model.weights": Float32Array.of(1, 2), sizes: Int32Array.of(2, 4) },
    };
    await saveSearchSnapshot(dir, snapshot, { note: "mine" });
    const loaded = await loadSearchSnapshot(dir);
    expect(loaded.state).toEqual({ sums: [NaN, Infinity, -Infinity, 1.5], nested: { right: 2 } });
    expect(loaded.history[0]!.loss).toBeNaN();
    expect(Array.from(loaded.tensors.sizes!)).toEqual([2, 4]);
    expect(loaded.tensors["model.weights"]).toBeInstanceOf(Float32Array);
  });
});
