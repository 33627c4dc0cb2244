/**
 * A PNG of a written report, the whole page, as headless Chromium draws it: what
 * bench/results/report.png holds (see movielens_report.ts).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

import { writeFileAtomically } from "../checkpoint/atomic_write.js";
import { describe } from "../describe_value.js";
import { launchChromium } from "./chromium.js";

export interface ScreenshotOptions {
  /** The browser window's width in CSS pixels; default 1400 (two charts side by side). */
  width?: number;
}

/** Loads `reportFile` (an HTML file) in headless Chromium and writes a full-page PNG to `pngFile`. */
export async function screenshotReport(reportFile: string, pngFile: string, options: ScreenshotOptions = {}): Promise<void> {
  for (const [name, value] of [["reportFile", reportFile], ["pngFile", pngFile]] as const) {
    if (typeof value !== "string" || value === "") throw new TypeError(`${name} must be a non-empty path, got ${describe(value)}`);
  }
  const width = options.width ?? 1400;
  if (!Number.isInteger(width) || width < 320 || width > 8192) throw new RangeError(`options.width must be an integer in [320, 8192], got ${width}`);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setViewport({ width, height: 900 });
    await page.goto(pathToFileURL(path.resolve(reportFile)).href, { waitUntil: "load" });
    const png = await page.screenshot({ fullPage: true, type: "png" });
    await writeFileAtomically(pngFile, (sink) => sink.write(png));
  } finally {
    await browser.close();
  }
}
