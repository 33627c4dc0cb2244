/**
 * What a CUDA build of the addon says when no GPU can be used (cuda/nvidia_driver.cu), and what
 * device "auto" then warns. The driver cases other than "none installed" run against a stand-in
 * libcuda.so.1, compiled here, that reports a chosen CUDA version and cuInit result: the addon finds
 * it first on LD_LIBRARY_PATH, as it would find a real driver.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { backend, resolveDevice } from "../ts/backend.js";
import { nvidiaDriverInstalled } from "./support/nvidia_driver_installed.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cudaCompiled = backend().cudaCompiled;
const compiler = spawnSync("sh", ["-c", "command -v cc"], { encoding: "utf8" }).stdout.trim();

const work = mkdtempSync(path.join(tmpdir(), "mixdim-driver-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Builds the stand-in driver once: cuDriverGetVersion and cuInit answer from the environment. */
function standInDriver(): string {
  const directory = path.join(work, "driver");
  const library = path.join(directory, "libcuda.so.1");
  if (existsSync(library)) return directory;
  mkdirSync(directory);
  const source = path.join(work, "libcuda.c");
  writeFileSync(
    source,
    `#include <stdlib.h>
     int cuDriverGetVersion(int* version) { *version = atoi(getenv("STAND_IN_CUDA_VERSION")); return 0; }
     int cuInit(unsigned int flags) { (void)flags; return atoi(getenv("STAND_IN_CUINIT_RESULT")); }
     int cuGetErrorString(int error, const char** text) { (void)error; *text = "stand-in failure"; return 0; }
    `,
  );
  execFileSync(compiler, ["-shared", "-fPIC", "-o", library, source]);
  return directory;
}

/** backendInfo() in a fresh process that finds the stand-in driver (the same binary ts/native.ts loads). */
function reasonWithDriver(cudaVersion: number, cuInitResult: number): string {
  const script = 'console.log(JSON.stringify(require("node-gyp-build")(process.cwd()).backendInfo()))';
  const env = {
    ...process.env,
    LD_LIBRARY_PATH: standInDriver(),
    STAND_IN_CUDA_VERSION: String(cudaVersion),
    STAND_IN_CUINIT_RESULT: String(cuInitResult),
  };
  const info = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: repo, env, encoding: "utf8" }));
  expect(info.cudaDevices).toEqual([]);
  return info.cudaUnavailableReason as string;
}

// Not on the emulated build, whose devices need no driver (it stands one in that always answers).
const emulated = backend().cudaDevices.some((device) => device.emulated);

describe.runIf(cudaCompiled && !emulated)("a GPU build with no usable GPU says why", () => {
  it.runIf(!nvidiaDriverInstalled())("with no NVIDIA driver installed, says there is none", () => {
    expect(backend().cudaUnavailableReason).toBe("no NVIDIA driver found (libcuda.so.1 could not be loaded)");
  });

  it.runIf(compiler !== "")("with a driver older than the CUDA it was built with, names both versions, R580 and how to build from source", () => {
    const reason = reasonWithDriver(12040, 0);
    expect(reason).toMatch(/^the NVIDIA driver is too old for mixdim's CUDA 13\.\d build/);
    expect(reason).toContain("supports CUDA 12.4");
    expect(reason).toContain("needs driver R580 or newer");
    expect(reason).toContain("npx cmake-js rebuild");
  });

  it.runIf(compiler !== "")("with a current driver that shows no device, says no device is visible", () => {
    const CUDA_ERROR_NO_DEVICE = 100;
    expect(reasonWithDriver(13000, CUDA_ERROR_NO_DEVICE)).toMatch(/^no CUDA device visible: /);
  });

  it.runIf(compiler !== "")("with a driver that fails to start, passes on the driver's error", () => {
    const CUDA_ERROR_UNKNOWN = 999;
    expect(reasonWithDriver(13000, CUDA_ERROR_UNKNOWN)).toBe("the NVIDIA driver failed to start (cuInit: stand-in failure, code 999)");
  });
});

describe.runIf(backend().cudaDevices.length === 0)('device "auto" without a usable GPU', () => {
  it("warns once, with the reason, that it runs on the CPU", () => {
    const emitWarning = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    expect(resolveDevice("auto")).toBe("cpu");
    expect(resolveDevice("auto")).toBe("cpu");
    expect(emitWarning.mock.calls).toEqual([
      [`mixdim: ${backend().cudaUnavailableReason}; running on the CPU (device "auto")`, "MixdimDeviceWarning"],
    ]);
    emitWarning.mockRestore();
  });
});
