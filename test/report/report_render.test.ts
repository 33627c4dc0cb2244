/**
 * The report's pieces against hand-computed values, and renderReport's checks of its input.
 * What the page looks like in a browser is report_browser.test.ts.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

import { renderReport, writeReport, type ReportRun } from "mixdim";
import { escapeHtml } from "../../ts/report/html_escape.js";
import { byteUnit, historySegments, phaseRanges, smoothedSegments, smoothingSpan } from "../../ts/report/history_charts.js";
import { runSummaryTable } from "../../ts/report/run_summary_table.js";
import { dotsPerRun } from "../../ts/report/size_frequency_chart.js";
import { sizeCounts } from "../../ts/report/size_histogram_chart.js";
import type { SearchEvent } from "../../ts/search/search_types.js";
import { handMadeRun } from "./report_fixtures.js";

/** The markup of the chart whose data-chart is `id`. */
function chart(html: string, id: string): string {
  const start = html.indexOf(`<figure class="chart" data-chart="${id}">`);
  expect(start, `chart ${id}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf("</figure>", start));
}

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

describe("the pieces", () => {
  it("escapes markup characters in text and attributes", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("counts the ids at each size for the histogram", () => {
    expect(sizeCounts(Int32Array.of(2, 4, 4, 128, 16, 4), [2, 4, 8, 16, 64, 128])).toEqual([1, 3, 0, 1, 0, 1]);
  });

  it("breaks a history line where loss is NaN or missing", () => {
    const history: SearchEvent[] = [1, NaN, 0.5, undefined, 0.25, 0.2].map((loss, step) =>
      ({ phase: "train", step, bytes: 8, ...(loss === undefined ? {} : { loss }) }));
    expect(historySegments(history, "loss")).toEqual([[[0, 1]], [[2, 0.5]], [[4, 0.25], [5, 0.2]]]);
    // Every third event and the last: 0, 3 (no loss) and 5.
    expect(historySegments(history, "loss", 2)).toEqual([[[0, 1]], [[5, 0.2]]]);
  });

  it("smooths a line by an exponential moving average that restarts at each break", () => {
    // span 3: α = 1/2. [1, 0, 1] → 1, 0.5, 0.75; a new segment starts again from its first value.
    expect(smoothedSegments([[[0, 1], [1, 0], [2, 1]], [[5, 4], [6, 0]]], 3)).toEqual([[[0, 1], [1, 0.5], [2, 0.75]], [[5, 4], [6, 2]]]);
    expect(smoothedSegments([[[0, 1], [1, 3]]], 1)).toEqual([[[0, 1], [1, 3]]]);
    expect([smoothingSpan(10), smoothingSpan(400), smoothingSpan(5000)]).toEqual([1, 20, 50]);
  });

  it("draws accuracy and loss smoothed over the raw series, drawn faint, and bytes as they are", () => {
    const html = renderReport({ title: "t", runs: [handMadeRun("A")] });
    const loss = chart(html, "history-loss");
    expect(count(loss, /class="raw"/g)).toBe(1);
    expect(loss).toMatch(/exponential moving average \(span A \d+ events\)/);
    expect(count(chart(html, "history-bytes"), /class="raw"/g)).toBe(0);
  });

  it("draws a loss falling over more than two decades on a log scale, and a small one on a linear scale", () => {
    const run = (losses: number[]): ReportRun => ({ label: "r", method: "scall", plan: { candidates: [2], tables: {} },
                                                    history: losses.map((loss, step) => ({ phase: "search", step, bytes: 8, loss })) });
    const yLabel = (losses: number[]) => renderReport({ title: "t", runs: [run(losses)] })
      .match(/rotate\(-90\)" text-anchor="middle" fill="#333">([^<]*)</)?.[1];
    expect(yLabel([10, 1, 0.05])).toBe("loss (log scale)");
    expect(yLabel([0.7, 0.5, 0.2])).toBe("loss");
  });

  it("names the stretch of events each phase covers", () => {
    const history = ["train", "train", "train", "test", "test", "plan"].map((phase, step) => ({ phase, step, bytes: 0 }));
    expect(phaseRanges(history)).toBe("train 0–2, test 3–4, plan 5");
  });

  it("shows bytes in the largest binary unit not above the maximum", () => {
    expect(byteUnit(1000)).toEqual({ name: "B", size: 1 });
    expect(byteUnit(2048)).toEqual({ name: "KiB", size: 1024 });
    expect(byteUnit(5 * 1024 ** 2)).toEqual({ name: "MiB", size: 1024 ** 2 });
  });

  it("summarises bytes and ratio from the plan, a column per run, shared metrics first, missing ones as a dash", () => {
    const plan = { candidates: [2, 4, 8], tables: { users: Int32Array.of(2, 4), items: Int32Array.of(8) } };
    const runs: ReportRun[] = [
      { label: "A", method: "fixed", plan, history: [], metrics: { own: 1.5, testAccuracy: 0.71234 } },
      { label: "B", method: "mde", plan, history: [], metrics: { testAccuracy: NaN } },
    ];
    const table = runSummaryTable(runs);
    const rows = [...table.matchAll(/<tr>(.*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[hd]>(.*?)<\/t[hd]>/g)].map((c) => c[1]));
    // (2 + 4 + 8) floats · 4 bytes = 56 B, over 3 ids · 8 · 4 = 96 B.
    expect(rows.slice(1)).toEqual([
      ["method", "fixed", "mde"],
      ["bytes", "56 B", "56 B"],
      ["ratio", "0.583", "0.583"],
      ["testAccuracy", "0.7123", "–"],
      ["own", "1.500", "–"],
    ]);
    expect(rows[0]![1]).toMatch(/<span class="swatch" style="background:#[0-9A-F]{6}"><\/span>A$/);
  });

  it("puts the search's peak bytes and its own figures after the plan's, as \"search: …\" rows", () => {
    const plan = { candidates: [2, 4], tables: { users: Int32Array.of(2, 4) } };
    const runs: ReportRun[] = [
      { label: "A", method: "esapn", plan, history: [], metrics: { testAccuracy: 0.7 }, searchMetrics: { testAccuracy: 0.72 }, peakSearchBytes: 2048 },
      { label: "B", method: "fixed", plan, history: [], metrics: { testAccuracy: 0.69 } },
    ];
    const rows = [...runSummaryTable(runs).matchAll(/<tr>(.*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[hd]>(.*?)<\/t[hd]>/g)].map((c) => c[1]));
    expect(rows.slice(4)).toEqual([
      ["testAccuracy", "0.7000", "0.6900"],
      ["peak search bytes", "2.00 KiB", "–"],
      ["search: testAccuracy", "0.7200", "–"],
    ]);
  });
});

describe("renderReport", () => {
  it("draws every chart, a dot per id and a median per frequency bin", () => {
    const html = renderReport({ title: "Two runs", runs: [handMadeRun("small"), handMadeRun("large", { scale: 4 })] });
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    const users = chart(html, "size-frequency-0");
    expect(users).toContain("Size against frequency: users");
    // 300 users, all seen (frequency ⌊300/(id+1)⌋ ≥ 1): every id is a dot, for each run.
    expect(count(users, /<circle cx="[^"]+" cy="[^"]+" r="1.8"\/>/g)).toBe(600);
    // Frequencies 1 … 300 fall in 9 bins (1, 2–3, …, 256–511): 9 medians per run.
    expect(count(users, /r="3.5"/g)).toBe(18);
    for (const id of ["size-frequency-1", "history-accuracy", "history-loss", "history-bytes", "size-histogram-0", "size-histogram-1"]) {
      expect(chart(html, id).split('class="marks"')[1]).toMatch(/<(path|rect) /);
    }
  });

  it("is self-contained: no scripts, no external resources", () => {
    const html = renderReport({ title: "t", runs: [handMadeRun("a")] });
    expect(html).not.toMatch(/<script|<link|<img|@import|url\((?!#)/i);
    expect(html).not.toMatch(/(src|href)=/);
  });

  it("escapes labels and titles wherever they appear", () => {
    const html = renderReport({ title: "<b>title</b>", description: "a & b", runs: [handMadeRun(`<script>alert("x")</script>`)] });
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<b>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("<p>a &amp; b</p>");
  });

  it("samples the dots of a huge table, and says so, while its medians come from every id", () => {
    const html = renderReport({ title: "big", runs: [handMadeRun("ESAPN", { users: 138_000, items: 50 })] });
    const users = chart(html, "size-frequency-0");
    const dots = count(users, /r="1.8"/g);
    expect(dots).toBeLessThanOrEqual(dotsPerRun);
    expect(dots).toBeGreaterThan(dotsPerRun * 0.9);
    expect(users).toMatch(new RegExp(`Dots for ESAPN: ${dots.toLocaleString("en-US")} of 138,000 ids`));
    // Frequencies 1 … 138,000: bins 1, 2–3, …, 2^17–2^18 − 1, all drawn.
    expect(count(users, /r="3.5"/g)).toBe(18);
    expect(html.length).toBeLessThan(1_000_000);
  });

  it("leaves out what runs lack, with a note instead of an empty chart", () => {
    const plan = { candidates: [16], tables: { users: new Int32Array(5).fill(16) } };
    const html = renderReport({ title: "bare", runs: [{ label: "FIXED", method: "fixed", plan, history: [] }] });
    expect(html).toContain("frequencies, so there is no size-against-frequency chart");
    expect(html).toContain("No run's history reports accuracy");
    expect(html).toContain("No run's history reports loss");
    expect(html).toContain("No run's history reports bytes");
    expect(chart(html, "size-histogram-0")).toContain("<rect");
    expect(renderReport({ title: "none", runs: [] })).toContain("No runs.");
  });

  it("writes the page atomically, creating its directory", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "mixdim-report-")), "nested", "report.html");
    const input = { title: "written", runs: [handMadeRun("a")] };
    await writeReport(file, input);
    expect(readFileSync(file, "utf8")).toBe(renderReport(input));
  });
});

describe("renderReport's checks", () => {
  const run = () => handMadeRun("a", { users: 4, items: 3 });
  const withRun = (change: (r: Record<string, unknown>) => void) => {
    const r = run() as unknown as Record<string, unknown>;
    change(r);
    return { title: "t", runs: [r as unknown as ReportRun] };
  };

  it("names the argument that is not what it should be", () => {
    expect(() => renderReport(null as never)).toThrow(new TypeError("input must be an object, got null"));
    expect(() => renderReport({ title: 3, runs: [] } as never)).toThrow(new TypeError("input.title must be a string, got number 3"));
    expect(() => renderReport({ title: "t", runs: {} } as never)).toThrow(/^input\.runs must be an array/);
    expect(() => renderReport(withRun((r) => { r.label = undefined; }))).toThrow(TypeError);
    expect(() => renderReport(withRun((r) => { r.plan = { candidates: [2], tables: { users: new Float32Array(4) } }; })))
      .toThrow(new TypeError("input.runs[0].plan.tables.users must be an Int32Array, got a Float32Array"));
    expect(() => renderReport(withRun((r) => { r.history = [1]; }))).toThrow(/^input\.runs\[0\]\.history\[0\] must be an event object/);
    expect(() => renderReport(withRun((r) => { r.metrics = { testAccuracy: "0.7" }; })))
      .toThrow(new TypeError(`input.runs[0].metrics.testAccuracy must be a number, got string "0.7"`));
  });

  it("refuses values out of range", () => {
    expect(() => renderReport(withRun((r) => { r.plan = { candidates: [], tables: {} }; })))
      .toThrow(new RangeError("input.runs[0].plan.candidates must hold at least one size"));
    expect(() => renderReport(withRun((r) => { r.bytes = -1; }))).toThrow(RangeError);
    expect(() => renderReport(withRun((r) => { r.bytes = -1; }))).toThrow(/^input\.runs\[0\]\.bytes/);
  });

  it("checks frequencies against the plan's tables", () => {
    expect(() => renderReport(withRun((r) => { r.frequencies = { users: [1, 2, 3] }; })))
      .toThrow(new RangeError("input.runs[0].frequencies.users has 3 frequencies, but the plan's table has 4 ids"));
    expect(() => renderReport(withRun((r) => { r.frequencies = { users: [1, -1, 3, 4] }; })))
      .toThrow(/^input\.runs\[0\]\.frequencies\.users\[1\] must be in \[0, /);
    expect(() => renderReport(withRun((r) => { r.frequencies = { movies: [1] }; })))
      .toThrow(new RangeError(`input.runs[0].frequencies.movies names no table of the plan (it has "users", "items")`));
  });

  it("refuses a report without a file name", async () => {
    await expect(writeReport("", { title: "t", runs: [] })).rejects.toThrow(new TypeError("file must be a non-empty path, got string \"\""));
  });
});
