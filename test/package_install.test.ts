/**
 * A user installs mixdim from the npm tarball on a machine with no compiler: the prebuilt binary,
 * the CUDA build (scripts/prebuild.mjs), must load, and the public API must work on the CPU. This
 * packs the package as `npm publish` would (prepack included), installs it into an empty project
 * with only node, npm and sh on PATH, runs a lookup and a training step, and reads the binary for
 * the GPU code and the libraries it needs.
 *
 * It needs a current CUDA prebuild (`npm run prebuild`, which needs nvcc and takes minutes) and
 * skips without one, unless MIXDIM_EXPECT_PREBUILD=1 (set by .ci/run), where a missing or stale
 * prebuild fails it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { nvidiaDriverInstalled } from "./support/nvidia_driver_installed.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// The CUDA prebuild is the one under test, whatever the caller's environment asks for.
const cudaPrebuildEnv = { ...process.env, MIXDIM_PREBUILD_CPU_ONLY: "" };
const prebuildCheck = spawnSync(process.execPath, [path.join(repo, "scripts", "prebuild.mjs"), "--check"], {
  env: cudaPrebuildEnv,
  encoding: "utf8",
});
const prebuildCurrent = prebuildCheck.status === 0;
const prebuildRequired = process.env.MIXDIM_EXPECT_PREBUILD === "1";
if (!prebuildCurrent && !prebuildRequired) {
  console.log(`package install test skipped: ${prebuildCheck.stderr.trim()}`);
}

const work = mkdtempSync(path.join(tmpdir(), "mixdim-install-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function which(tool: string): string {
  return execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
}

/**
 * The GPU code in a binary's .nv_fatbin section, as "sass_75", "ptx_90" and so on, with how many
 * fat binaries (one per .cu file) hold each. The section is a run of fat binaries, each a header
 * (magic 0xBA55ED50, u16 header size at 6, u64 payload size at 8) then entries (u16 kind at 0:
 * 1 PTX, 2 SASS; u32 entry header size at 4; u64 payload size at 8; u32 architecture at 28).
 */
function fatBinaryContents(file: string): Map<string, number> {
  const sections = execFileSync("readelf", ["-S", "-W", file], { encoding: "utf8" });
  const match = /\.nv_fatbin\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(sections);
  if (match === null) return new Map();
  const bytes = readFileSync(file);
  const contents = new Map<string, number>();
  let offset = parseInt(match[1]!, 16);
  const end = offset + parseInt(match[2]!, 16);
  while (offset + 16 <= end) {
    if (bytes.readUInt32LE(offset) !== 0xba55ed50) {
      offset += 8; // fat binaries are 8-byte aligned; padding lies between them
      continue;
    }
    let entry = offset + bytes.readUInt16LE(offset + 6);
    const entriesEnd = entry + Number(bytes.readBigUInt64LE(offset + 8));
    while (entry < entriesEnd) {
      const kind = bytes.readUInt16LE(entry) === 1 ? "ptx" : bytes.readUInt16LE(entry) === 2 ? "sass" : "other";
      const name = `${kind}_${bytes.readUInt32LE(entry + 28)}`;
      contents.set(name, (contents.get(name) ?? 0) + 1);
      entry += bytes.readUInt32LE(entry + 4) + Number(bytes.readBigUInt64LE(entry + 8));
    }
    offset = entriesEnd;
  }
  return contents;
}

interface PackedFile {
  path: string;
}
interface PackResult {
  filename: string;
  unpackedSize: number;
  files: PackedFile[];
}

// Not in the emulated CUDA build's runs: they test the kernels, and this the package that ships.
const emulatedRun = process.env.MIXDIM_EXPECT_CUDA_EMULATION === "1";

it.runIf((prebuildCurrent || prebuildRequired) && !emulatedRun)(
  "the packed tarball installs without a toolchain, loads the CUDA prebuild, and looks up and trains on the CPU",
  () => {
    expect(prebuildCheck.status, prebuildCheck.stderr).toBe(0);

    // Pack a copy of the sources with the current prebuild, so that prepack finds nothing to build
    // and nothing here touches the repository's build/ or prebuilds/ while other test files load them.
    const source = path.join(work, "source");
    const generated = (top: string) => ["node_modules", "dist", ".git", "ci-results"].includes(top) || top.startsWith("build");
    cpSync(repo, source, { recursive: true, filter: (file) => file === repo || !generated(path.relative(repo, file).split(path.sep)[0]!) });
    symlinkSync(path.join(repo, "node_modules"), path.join(source, "node_modules"));
    const packOutput = execFileSync("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: source,
      env: cudaPrebuildEnv,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const packed = (JSON.parse(packOutput.slice(packOutput.indexOf("[\n"))) as PackResult[])[0]!;
    const tarball = path.join(work, packed.filename);
    const megabytes = statSync(tarball).size / 1e6;
    console.log(`packed tarball: ${packed.filename}, ${megabytes.toFixed(1)} MB (${(packed.unpackedSize / 1e6).toFixed(1)} MB unpacked)`);
    expect(megabytes).toBeLessThanOrEqual(25);
    const packedPaths = packed.files.map((file) => file.path);
    expect(packedPaths).toContain("prebuilds/linux-x64/mixdim.node");
    expect(packedPaths.filter((file) => file.startsWith("prebuilds/"))).toEqual(["prebuilds/linux-x64/mixdim.node"]);

    // A PATH with node, npm and a shell, and no cc, c++, make or python: building from source would fail.
    const bin = path.join(work, "bin");
    mkdirSync(bin);
    for (const tool of ["node", "npm", "sh"]) symlinkSync(which(tool), path.join(bin, tool));
    // A user's environment: none of the test runs' overrides (MIXDIM_PREBUILD would make
    // node-gyp-build load another binary; LD_PRELOAD may hold sanitizer runtimes).
    const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("MIXDIM_") && key !== "LD_PRELOAD"));
    const env = { ...userEnv, PATH: bin, npm_config_update_notifier: "false" };
    for (const compiler of ["cc", "c++", "gcc", "g++", "make", "python3", "nvcc"]) {
      expect(() => execFileSync("sh", ["-c", `command -v ${compiler}`], { env, stdio: "pipe" })).toThrow();
    }

    const app = path.join(work, "app");
    mkdirSync(app);
    writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", tarball], { cwd: app, env, stdio: "pipe" });
    const installed = path.join(app, "node_modules", "mixdim");
    expect(existsSync(path.join(installed, "build")), "npm install compiled the addon instead of using the prebuild").toBe(false);

    // Row 0 has size 2 and row 1 size 4; plain SGD at learning rate 0.5 on ids [1, 0, 1] sums row 1's
    // two gradients and ignores row 0's gradient beyond its size.
    const script = `
      import { backend, EmbeddingStore } from "mixdim";
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const store = new EmbeddingStore({ candidates: [2, 4], sizes: [2, 4], optimizer: { type: "sgd", learningRate: 0.5 } });
      store.writeRows([0, 1], Float32Array.from([1, 2, 9, 9, 3, 4, 5, 6]));
      const lookedUp = Array.from(store.lookup([1, 0]).toArray());
      store.step([1, 0, 1], Float32Array.from([1, 1, 1, 1, 2, 2, 9, 9, 1, 0, 0, 1]));
      const trained = Array.from(store.lookup([0, 1]).toArray());
      const binary = require("node-gyp-build").path(require.resolve("mixdim").replace(/dist[\\\\/]index\\.js$/, ""));
      console.log(JSON.stringify({ lookedUp, trained, binary, backend: backend() }));
    `;
    const result = JSON.parse(execFileSync("node", ["--input-type=module", "-e", script], { cwd: app, env, encoding: "utf8" }));
    expect(result.binary).toBe(path.join(installed, "prebuilds", "linux-x64", "mixdim.node"));
    expect(result.backend.cudaCompiled).toBe(true);
    if (!nvidiaDriverInstalled()) {
      expect(result.backend.cudaDevices).toEqual([]);
      expect(result.backend.cudaUnavailableReason).toMatch(/^no NVIDIA driver found/);
    }
    expect(result.lookedUp).toEqual([3, 4, 5, 6, 1, 2, 0, 0]);
    expect(result.trained).toEqual([0, 1, 0, 0, 2, 3.5, 4.5, 5]);

    // SASS for sm_75 through sm_90 and compute_90 PTX, in every .cu file's fat binary alike.
    const gpuCode = fatBinaryContents(result.binary);
    expect([...gpuCode.keys()].sort()).toEqual(["ptx_90", "sass_75", "sass_80", "sass_86", "sass_89", "sass_90"]);
    expect(new Set(gpuCode.values()).size).toBe(1);

    // The shipped binary needs no CUDA library: cudart is inside it.
    const needed = execFileSync("readelf", ["-d", result.binary], { encoding: "utf8" });
    expect(needed).toMatch(/\(NEEDED\)/);
    expect(needed).not.toMatch(/Shared library: \[lib(cuda|cudart|cublas|nv)/);
  },
  300_000,
);
