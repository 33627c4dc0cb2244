/**
 * scripts/prebuild.mjs, the `prepack` step: it refuses to make a package without the CUDA prebuild
 * unless told to make a CPU-only one, and it knows when the prebuild no longer matches the sources.
 * Each case runs the script in a copy of the sources, so the repository's prebuild is never touched.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(path.join(tmpdir(), "mixdim-prebuild-script-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of what the script reads: itself, the native and CUDA sources and CMakeLists.txt. */
function sourceCopy(name: string, withPrebuild: boolean): string {
  const copy = path.join(work, name);
  for (const entry of ["scripts", "native", "cuda", "CMakeLists.txt", ...(withPrebuild ? ["prebuilds"] : [])]) {
    cpSync(path.join(repo, entry), path.join(copy, entry), { recursive: true });
  }
  return copy;
}

/** Runs the script with node alone on PATH: no nvcc, and no $CUDACXX. */
function runScript(copy: string, args: string[], env: Record<string, string> = {}) {
  const bin = path.join(work, "bin");
  if (!existsSync(bin)) {
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, "node"));
  }
  const { CUDACXX: _ignored, MIXDIM_PREBUILD_CPU_ONLY: _also, ...rest } = process.env;
  return spawnSync("node", [path.join(copy, "scripts", "prebuild.mjs"), ...args], {
    env: { ...rest, PATH: bin, ...env },
    encoding: "utf8",
  });
}

it("without nvcc, fails and says how to pack a CPU-only prebuild instead", () => {
  const result = runScript(sourceCopy("no-nvcc", false), []);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/^mixdim prebuild: nvcc was not found/);
  expect(result.stderr).toContain("MIXDIM_PREBUILD_CPU_ONLY=1");
});

it("--check fails when there is no prebuild", () => {
  const result = runScript(sourceCopy("no-prebuild", false), ["--check"]);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain("prebuilds/linux-x64/mixdim.node does not exist");
});

const repoPrebuildCurrent = runScript(repo, ["--check"]).status === 0;

it.runIf(repoPrebuildCurrent || process.env.MIXDIM_EXPECT_PREBUILD === "1")(
  "--check accepts the current CUDA prebuild, and rejects it once a source changes or a CPU-only one is asked for",
  () => {
    const copy = sourceCopy("stale", true);
    expect(runScript(copy, ["--check"]).status).toBe(0);
    const cpuOnly = runScript(copy, ["--check"], { MIXDIM_PREBUILD_CPU_ONLY: "1" });
    expect(cpuOnly.status).toBe(1);
    expect(cpuOnly.stderr).toContain("it is the cuda build, and the cpu build was asked for");

    appendFileSync(path.join(copy, "native", "kernels", "lookup.h"), "\n// changed\n");
    const stale = runScript(copy, ["--check"]);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain("the sources changed since it was built");
  },
);
