/**
 * The report as a reader sees it: headless Chromium (Debian's `chromium`, driven through
 * puppeteer-core) loads the written file, and every chart must have drawn marks with a real
 * size on screen, with no request leaving the page and no error. Skips, saying why, only where
 * no Chromium is installed (.ci/run installs it).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "puppeteer-core";

import { writeReport } from "mixdim";
import { findChromium, launchChromium } from "../../ts/report/chromium.js";
import { screenshotReport } from "../../ts/report/report_screenshot.js";
import { handMadeFrontier, handMadeRun } from "./report_fixtures.js";

const chromium = findChromium();
const skipReason = chromium === undefined ? " (skipped: no Chromium on PATH; apt-get install chromium, or set MIXDIM_CHROMIUM)" : "";
// A skipped file shows no test names in the default reporter: say why on stderr, which it shows.
if (chromium === undefined) console.warn(`report_browser.test.ts${skipReason}`);
const work = mkdtempSync(path.join(tmpdir(), "mixdim-report-browser-"));
const reportFile = path.join(work, "report.html");
const charts = ["frontier-testaccuracy", "frontier-testloss", "size-frequency-0", "size-frequency-1", "history-accuracy", "history-loss", "history-bytes",
                "size-histogram-0", "size-histogram-1"];

interface ChartOnScreen {
  id: string;
  width: number;
  height: number;
  /** Marks (paths, circles, rects) inside the plot whose box on screen is not empty. */
  drawnMarks: number;
  tickLabels: number;
  legendEntries: number;
}

describe.skipIf(chromium === undefined)(`the report in headless Chromium${skipReason}`, () => {
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    await writeReport(reportFile, {
      title: `Report <test> & "quotes"`,
      description: "Hand-made runs with every chart.",
      runs: [handMadeRun("ESAPN"), handMadeRun(`<img src=x onerror=alert(1)>`, { scale: 4 }), handMadeRun("third", { events: 1 })],
      frontier: handMadeFrontier(),
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on("request", (request) => requests.push(request.url()));
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
    await page.setViewport({ width: 1400, height: 900 });
    await page.goto(pathToFileURL(reportFile).href, { waitUntil: "load" });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("loads the page and nothing else, without errors", () => {
    expect(requests).toEqual([pathToFileURL(reportFile).href]);
    expect(errors).toEqual([]);
  });

  it("draws every chart with visible marks, ticks and a legend", async () => {
    const onScreen = await page.evaluate(() => [...document.querySelectorAll("figure.chart")].map((figure) => {
      const svg = figure.querySelector("svg")!.getBoundingClientRect();
      const marks = [...figure.querySelectorAll(".marks path, .marks circle, .marks rect")];
      return {
        id: figure.getAttribute("data-chart")!,
        width: svg.width,
        height: svg.height,
        drawnMarks: marks.filter((mark) => {
          const box = mark.getBoundingClientRect();
          return box.width > 0 && box.height > 0;
        }).length,
        tickLabels: figure.querySelectorAll(".axes text").length,
        legendEntries: figure.querySelectorAll(".legend-entry").length,
      };
    })) as ChartOnScreen[];
    expect(onScreen.map((c) => c.id)).toEqual(charts);
    for (const chart of onScreen) {
      expect(chart.width, chart.id).toBeGreaterThan(400);
      expect(chart.height, chart.id).toBeGreaterThan(250);
      expect(chart.drawnMarks, chart.id).toBeGreaterThanOrEqual(3);
      expect(chart.tickLabels, chart.id).toBeGreaterThanOrEqual(4);
      expect(chart.legendEntries, chart.id).toBe(3);
    }
  });

  it("draws the frontier's error bars as visible vertical strokes", async () => {
    const bars = await page.evaluate(() => [...document.querySelectorAll("[data-chart='frontier-testaccuracy'] .error-bars")]
      .map((path) => { const box = path.getBoundingClientRect(); return [box.width, box.height]; }));
    expect(bars).toHaveLength(3);
    for (const [, height] of bars) expect(height!).toBeGreaterThan(2);
  });

  it("draws the medians as a visible line through the dots", async () => {
    const lines = await page.evaluate(() => [...document.querySelectorAll("[data-chart='size-frequency-0'] .medians path")]
      .map((path) => { const box = path.getBoundingClientRect(); return [box.width, box.height]; }));
    expect(lines).toHaveLength(3);
    for (const [width, height] of lines) expect(width! * height!).toBeGreaterThan(100);
  });

  it("shows labels as text, never as markup", async () => {
    const text = await page.evaluate(() => ({
      title: document.title,
      injected: document.querySelectorAll("main img, main script").length,
      legend: [...document.querySelectorAll("[data-chart='history-bytes'] .legend-entry text")].map((t) => t.textContent),
    }));
    expect(text.title).toBe(`Report <test> & "quotes"`);
    expect(text.injected).toBe(0);
    expect(text.legend).toEqual(["ESAPN", "<img src=x onerror=alert(1)>", "third"]);
  });

  it("screenshots the whole page to a PNG", async () => {
    const png = path.join(work, "report.png");
    await screenshotReport(reportFile, png, { width: 1200 });
    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    expect(bytes.readUInt32BE(16)).toBe(1200);
    expect(bytes.readUInt32BE(20)).toBeGreaterThan(1500);
  }, 60_000);
});
