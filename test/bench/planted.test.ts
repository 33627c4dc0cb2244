/**
 * The planted-signal experiment (issue #14; npm run bench:planted, bench/results/PLANTED.md) on a
 * small stream: every variant is held to the same budget at every batch and ends at equal bytes,
 * and the page reports each comparison. Whether learning helps is the experiment's finding, read
 * in PLANTED.md at its full size, not asserted here: at the full size it does not, beyond the spread.
 */
import { describe, expect, it } from "vitest";
import { runPlantedExperiment } from "../../ts/bench/planted/planted_experiment.js";
import { plantedMarkdown } from "../../ts/bench/planted/planted_markdown.js";
import { plantedStream } from "../../ts/bench/planted/planted_stream.js";

describe("the planted stream", () => {
  it("gives frequent users 16-dimensional preferences and rare users 2-dimensional ones, in random order", () => {
    const stream = plantedStream({ frequentUsers: 20, ratingsPerFrequentUser: 50, rareUsers: 100, ratingsPerRareUser: 3, items: 16, seed: 3 });
    expect(stream.users.length).toBe(20 * 50 + 100 * 3);
    const counts = new Int32Array(stream.numUsers);
    for (const u of stream.users) counts[u]! += 1;
    expect(counts.slice(0, 20).every((c) => c === 50)).toBe(true);
    expect(counts.slice(20).every((c) => c === 3)).toBe(true);
    // Not grouped by user: the first 100 rows hold many users.
    expect(new Set(stream.users.slice(0, 100)).size).toBeGreaterThan(30);
    // With little noise most labels are the planted preferences.
    let agree = 0;
    stream.users.forEach((u, r) => { agree += stream.labels[r] === stream.preferences[u * stream.numItems + stream.items[r]!] ? 1 : 0; });
    expect(agree / stream.users.length).toBeGreaterThan(0.9);
  });
});

describe("the planted experiment", () => {
  it("holds every variant, learned, frozen and the planted rule, to the same budget at every batch, so that they end at equal bytes", () => {
    const experiment = runPlantedExperiment({ stream: { frequentUsers: 60, ratingsPerFrequentUser: 40, rareUsers: 300, ratingsPerRareUser: 4 },
                                              seeds: [1, 2] });
    expect(experiment.comparisons.map((c) => c.variant)).toEqual(["immediate", "delayed (next occurrence)", "delayed (10 occurrences)"]);
    const budget = experiment.comparisons[0]!.budgetBytes;
    // The planted allocation: 60 frequent users and 32 items at 16 floats, 300 rare users at 2.
    expect(budget).toBe(((60 + 32) * 16 + 300 * 2) * 4);
    for (const comparison of experiment.comparisons) {
      for (const run of [...comparison.learned, ...comparison.frozen, ...comparison.rule]) {
        expect(run.peakBytes).toBeLessThanOrEqual(budget);
        // Equal bytes: the budget binds, to within one step of the largest size (8 → 16 floats). With a
        // 10-occurrence horizon ids wait long between actions and may not fill it; PLANTED.md shows their bytes.
        if (comparison.variant !== "delayed (10 occurrences)") expect(run.bytes).toBeGreaterThan(budget - 8 * 4 - 1);
      }
      expect(comparison.testLoss.other.n).toBe(2);
      // The rule never grows a rare user, and the budget never refuses it (it holds the planted allocation, which fits).
      // Acting every occurrence, every frequent user reaches 16 and the tables end at the budget; with the 10-occurrence
      // horizon an id acts at most once in ten of the stream's 15 batches, too seldom to grow three times.
      for (const run of comparison.rule) {
        expect(run.rareUserSize).toBe(2);
        if (comparison.variant === "delayed (10 occurrences)") continue;
        expect(run.frequentUserSize).toBe(16);
        expect(run.bytes).toBe(budget);
      }
    }
    const markdown = plantedMarkdown(experiment, { date: "2026-12-06T00:00:00Z", seconds: 1,
                                                   machine: { cpuModel: "test", cpuCores: 2, totalMemoryBytes: 2 ** 30, os: "test", node: "v20" } });
    expect(markdown).toContain("| delayed (next occurrence), learned |");
    expect(markdown).toContain("| delayed (10 occurrences), frozen |");
    expect(markdown).toContain("| immediate, planted rule |");
    expect(markdown).toContain("That is the planted allocation's size");
    // The rule's answer beside the policies': frequencies 1 to 8, 10, 20, 40 (the frequent users' 40 ratings), 0 up to the rare users' 4.
    expect(markdown).toContain("| planted rule | 0 | 0 | 0 | 0 | 1 | 1 | 1 | 1 | 1 | 1 | 1 |");
    for (const comparison of experiment.comparisons) {
      for (const run of [...comparison.learned, ...comparison.frozen]) {
        expect(run.finalEnlargeProbability).toHaveLength(40);
        expect(run.finalEnlargeProbability!.every((p) => p >= 0 && p <= 1)).toBe(true);
      }
      expect(comparison.rule.every((run) => run.finalEnlargeProbability === undefined)).toBe(true);
    }
    expect(markdown).toMatch(/- delayed \(next occurrence\): tail loss Δ = [+−]0\.\d{4} \(spread 0\.\d{4}\): (as claimed|reversed), (within|beyond) spread/);
    expect(markdown).toMatch(/\| delayed \(next occurrence\) \| [+−]0\.\d{4} ± 0\.\d{4} \([\d,]+ actions\) \|/);
  });
});
