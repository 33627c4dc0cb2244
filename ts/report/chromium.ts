/**
 * Headless Chromium for looking at reports as a reader would: Debian's `chromium` (or another
 * Chromium-based browser found on PATH), driven through puppeteer-core. puppeteer-core is a
 * devDependency and is loaded only when a browser is launched, so the package itself does not
 * need it.
 */
import { accessSync, constants } from "node:fs";
import path from "node:path";

import type { Browser } from "puppeteer-core";

const names = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

/** $MIXDIM_CHROMIUM, else the first Chromium found on PATH; undefined when there is none. */
export function findChromium(): string | undefined {
  const given = process.env.MIXDIM_CHROMIUM;
  if (given !== undefined && given !== "") return given;
  for (const directory of (process.env.PATH ?? "").split(path.delimiter).filter((d) => d !== "")) {
    for (const name of names) {
      const file = path.join(directory, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // Not here: try the next name.
      }
    }
  }
  return undefined;
}

/** Starts headless Chromium (no sandbox, no GPU: it runs as root in CI containers without either). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (executablePath === undefined) {
    throw new Error("no Chromium found: install Debian's chromium (apt-get install chromium) or set MIXDIM_CHROMIUM");
  }
  const { launch } = await import("puppeteer-core").catch((error: unknown) => {
    throw new Error("driving Chromium needs the devDependency puppeteer-core (npm install --save-dev puppeteer-core)", { cause: error });
  });
  return launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}
