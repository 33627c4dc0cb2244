import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { backend } from "../ts/backend.js";

// What the addon reports, read in a fresh process so that the environment variable applies at load
// (the binary is the one ts/native.ts loads: node-gyp-build honours MIXDIM_PREBUILD the same way).
function reportedInChild(env: Record<string, string>): boolean {
  const script = 'console.log(JSON.stringify(require("node-gyp-build")(process.cwd()).backendInfo().mallocTuned))';
  const out = execFileSync(process.execPath, ["-e", script], { env: { ...process.env, ...env }, encoding: "utf8" });
  return JSON.parse(out.trim()) as boolean;
}

describe("malloc tuning", () => {
  const glibc = process.platform === "linux" && (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } })
    .header?.glibcVersionRuntime !== undefined;

  it("is on with glibc unless MIXDIM_MALLOC_TUNING=0", () => {
    expect(backend().mallocTuned).toBe(glibc && process.env.MIXDIM_MALLOC_TUNING !== "0");
  });

  it.runIf(glibc)("MIXDIM_MALLOC_TUNING=0 leaves malloc alone", () => {
    expect(reportedInChild({ MIXDIM_MALLOC_TUNING: "0" })).toBe(false);
    expect(reportedInChild({ MIXDIM_MALLOC_TUNING: "1" })).toBe(true);
  });
});
