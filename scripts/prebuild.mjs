#!/usr/bin/env node
/**
 * `npm run prebuild`, also run by `prepack` (so `npm pack` and `npm publish` cannot skip it): makes
 * prebuilds/linux-x64/mixdim.node, the binary the package ships and node-gyp-build loads when no
 * local build exists. It is the cmake-js CUDA build (CMakeLists.txt): SASS for sm_75, 80, 86, 89 and
 * 90 plus compute_90 PTX, cudart linked statically and no other CUDA library, stripped. The CPU code
 * inside it is compiled as node-gyp compiles it, so it runs as fast as a build from source.
 *
 * The build is incremental, in build-prebuild/<kind>/. Beside the binary, mixdim.build.json (not
 * packed) records a hash of the sources it was built from: when it matches, the prebuild is current
 * and nothing is built, so packing a second time needs no nvcc.
 *
 *   node scripts/prebuild.mjs           build the prebuild unless it is current
 *   node scripts/prebuild.mjs --check   only say whether it is present and current (exit 1 if not)
 *   MIXDIM_PREBUILD_CPU_ONLY=1          a CPU-only prebuild, for packing where no nvcc is installed;
 *                                       never the default, since users would then get no GPU
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const kind = process.env.MIXDIM_PREBUILD_CPU_ONLY === "1" ? "cpu" : "cuda";
const folder = path.join(root, "prebuilds", "linux-x64");
const binary = path.join(folder, "mixdim.node");
const record = path.join(folder, "mixdim.build.json");
const buildDir = path.join(root, "build-prebuild", kind);

function fail(message) {
  console.error(`mixdim prebuild: ${message}`);
  process.exit(1);
}

/** Every file the binary is compiled from, in a fixed order. */
function sourceFiles() {
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .flatMap((entry) => (entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
  return ["CMakeLists.txt", ...walk(path.join(root, "native")), ...walk(path.join(root, "cuda"))].map((file) =>
    path.resolve(root, file),
  );
}

function sourceHash() {
  const hash = createHash("sha256");
  for (const file of sourceFiles()) {
    hash.update(path.relative(root, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

/** Why the prebuild is not current, or null when it is. */
function staleness(sources) {
  if (!existsSync(binary)) return `${path.relative(root, binary)} does not exist`;
  if (!existsSync(record)) return `${path.relative(root, record)} does not exist`;
  const built = JSON.parse(readFileSync(record, "utf8"));
  if (built.kind !== kind) return `it is the ${built.kind} build, and the ${kind} build was asked for`;
  if (built.sources !== sources) return "the sources changed since it was built";
  return null;
}

/** The nvcc to build with: $CUDACXX, else the first on PATH. */
function findNvcc() {
  const candidates = [process.env.CUDACXX, ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => dir && path.join(dir, "nvcc"))];
  return candidates.find((file) => file && existsSync(file) && statSync(file).isFile()) ?? null;
}

/** The shared libraries the binary asks the loader for (its DT_NEEDED entries). */
function neededLibraries(file) {
  const dynamic = execFileSync("readelf", ["-d", file], { encoding: "utf8" });
  return [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((match) => match[1]);
}

if (process.platform !== "linux" || process.arch !== "x64") {
  fail(`the package ships one prebuilt binary, for linux-x64; pack it on linux-x64 (this is ${process.platform}-${process.arch})`);
}

const sources = sourceHash();
const stale = staleness(sources);
if (process.argv.includes("--check")) {
  if (stale) fail(`the ${kind} prebuild is not current: ${stale}; run \`npm run prebuild\``);
  console.log(`mixdim prebuild: ${path.relative(root, binary)} is the current ${kind} build`);
  process.exit(0);
}
if (!stale) {
  console.log(`mixdim prebuild: ${path.relative(root, binary)} is the current ${kind} build; nothing to do`);
  process.exit(0);
}

const nvcc = kind === "cuda" ? findNvcc() : null;
if (kind === "cuda" && !nvcc) {
  fail(
    "nvcc was not found (neither $CUDACXX nor on PATH). The package ships the CUDA build of the addon, so " +
      "packing it needs the CUDA toolkit (13.0 for the published package). Install it and put its bin/ on PATH, or set " +
      "MIXDIM_PREBUILD_CPU_ONLY=1 to pack a CPU-only prebuild (its users get no GPU).",
  );
}
// --resource-usage only prints each kernel's registers and shared memory (CI's resource check reads them).
const options = ["--CDMIXDIM_SANITIZE=OFF", "--CDMIXDIM_CUDA_EMULATION=OFF",
  ...(nvcc ? ["--CDMIXDIM_WITH_CUDA=ON", `--CDCMAKE_CUDA_COMPILER=${nvcc}`, "--CDMIXDIM_CUDA_RESOURCE_USAGE=ON"] : ["--CDMIXDIM_WITH_CUDA=OFF"])];

console.log(`mixdim prebuild: building the ${kind} addon in ${path.relative(root, buildDir)} (${stale})`);
const cmakeJs = path.join(root, "node_modules", "cmake-js", "bin", "cmake-js");
const build = spawnSync(process.execPath, [cmakeJs, "build", "--out", buildDir, ...options], { cwd: root, stdio: "inherit" });
if (build.status !== 0) fail(`the cmake-js build failed (exit ${build.status ?? build.signal})`);
const built = path.join(buildDir, "Release", "mixdim.node");
if (sourceHash() !== sources) fail("the sources changed during the build; run it again");

// What the package promises: CUDA compiled in exactly when asked, and no CUDA library to install.
const load = spawnSync(process.execPath, ["-e", `console.log(JSON.stringify(require(${JSON.stringify(built)}).backendInfo()))`], { encoding: "utf8" });
if (load.status !== 0) fail(`${built} does not load: ${load.stderr.trim()}`);
const info = JSON.parse(load.stdout);
if (info.cudaCompiled !== (kind === "cuda")) fail(`${built} has cudaCompiled = ${info.cudaCompiled}, and the ${kind} build was asked for`);
const cudaLibraries = neededLibraries(built).filter((library) => /^lib(cuda|cudart|cublas|nv)/.test(library));
if (cudaLibraries.length > 0) fail(`${built} links ${cudaLibraries.join(", ")}; only cudart may be linked, statically`);

// Strip into a temporary file and rename it into place: a process that has the old binary loaded
// keeps its mapping, where overwriting the file in place could crash it.
mkdirSync(folder, { recursive: true });
rmSync(record, { force: true });
const partial = `${binary}.partial`;
rmSync(partial, { force: true });
execFileSync("strip", ["--strip-unneeded", "-o", partial, built]);
renameSync(partial, binary);
writeFileSync(record, `${JSON.stringify({ kind, sources, cudaCompiler: nvcc }, null, 2)}\n`);
const megabytes = (statSync(binary).size / 1e6).toFixed(1);
console.log(`mixdim prebuild: wrote ${path.relative(root, binary)} (${kind}, ${megabytes} MB, stripped)`);
