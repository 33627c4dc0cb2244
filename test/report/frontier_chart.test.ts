/**
 * The frontier chart against the hand-made frontier: a line per method through its budgets, a
 * dot per point, an error bar per point with a spread, log-scaled bytes on x.
 */
import { describe, expect, it } from "vitest";

import { renderReport } from "mixdim";
import { frontierChart } from "../../ts/report/frontier_chart.js";
import { handMadeFrontier } from "./report_fixtures.js";

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

describe("the frontier chart", () => {
  const svg = frontierChart(handMadeFrontier(), "testAccuracy");

  it("draws a line and a dot per budget for each method, on a log byte axis", () => {
    expect(count(svg, /<g class="frontier-line">/g)).toBe(3);
    expect(count(svg, /<circle /g)).toBe(9);
    expect(svg).toContain("plan bytes (KiB, log scale)");
    expect(svg).toContain("mean over 2 seeds, with a bar of ± one standard deviation");
  });

  it("draws one vertical bar per point with a spread, none where the spread is zero", () => {
    const bars = [...svg.matchAll(/class="error-bars" d="([^"]*)"/g)].map((m) => m[1]!);
    // FIXED has no spread at its smallest budget: two bars; the others three each.
    expect(bars.map((d) => count(d, /M/g))).toEqual([2, 3, 3]);
    for (const d of bars) expect(d).toMatch(/^(M[\d.]+ [\d.]+V[\d.]+)+$/);
  });

  it("puts the frontier first in the report, and leaves out the run sections when there are no runs", () => {
    const html = renderReport({ title: "frontier", runs: [], frontier: handMadeFrontier() });
    expect(html).toContain("<h2>Accuracy against memory</h2>");
    expect(html).toContain(`data-chart="frontier-testloss"`);
    expect(html).not.toContain("<h2>Runs</h2>");
    expect(() => renderReport({ title: "x", runs: [], frontier: { budgets: 1 } as never })).toThrow(/input\.frontier\.seeds/);
  });

  it("says so when no point reports the metric", () => {
    expect(frontierChart(handMadeFrontier(), "recall20")).toMatch(/No run reports Recall@20/);
  });
});
