/**
 * A user installs mixdim from the npm tarball on a machine with no compiler: the prebuilt
 * binary must load, and the public API must work. This packs the package as `npm publish`
 * would, installs it into an empty project with only node, npm and sh on PATH, and runs a lookup.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(path.join(tmpdir(), "mixdim-install-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function which(tool: string): string {
  return execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
}

it("installs from the packed tarball without a toolchain and runs a lookup through the public API", () => {
  // Build the prebuilt binary in a copy of the sources: prebuildify rebuilds build/, which other
  // test files may be loading at this moment.
  const source = path.join(work, "source");
  const generated = (top: string) => ["node_modules", "prebuilds", "dist", ".git"].includes(top) || top.startsWith("build");
  cpSync(repo, source, { recursive: true, filter: (file) => file === repo || !generated(path.relative(repo, file).split(path.sep)[0]!) });
  symlinkSync(path.join(repo, "node_modules"), path.join(source, "node_modules"));
  execFileSync("npm", ["run", "prebuild"], { cwd: source, stdio: "pipe" });
  const packed = execFileSync("npm", ["pack", "--pack-destination", work], { cwd: source, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const tarball = path.join(work, packed.trim().split("\n").pop()!);

  // A PATH with node, npm and a shell, and no cc, c++, make or python: building from source would fail.
  const bin = path.join(work, "bin");
  mkdirSync(bin);
  for (const tool of ["node", "npm", "sh"]) symlinkSync(which(tool), path.join(bin, tool));
  const env = { ...process.env, PATH: bin, npm_config_update_notifier: "false" };
  for (const compiler of ["cc", "c++", "gcc", "g++", "make", "python3"]) {
    expect(() => execFileSync("sh", ["-c", `command -v ${compiler}`], { env, stdio: "pipe" })).toThrow();
  }

  const app = path.join(work, "app");
  mkdirSync(app);
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", tarball], { cwd: app, env, stdio: "pipe" });

  const script = `
    import { EmbeddingStore } from "mixdim";
    import { createRequire } from "node:module";
    const require = createRequire(import.meta.url);
    const store = new EmbeddingStore({ candidates: [2, 4], sizes: [2, 4] });
    store.writeRows([0, 1], Float32Array.from([1, 2, 9, 9, 3, 4, 5, 6]));
    const out = store.lookup([1, 0]).toArray();
    const binary = require("node-gyp-build").path(require.resolve("mixdim").replace(/dist[\\\\/]index\\.js$/, ""));
    console.log(JSON.stringify({ out: Array.from(out), binary }));
  `;
  const result = JSON.parse(execFileSync("node", ["--input-type=module", "-e", script], { cwd: app, env, encoding: "utf8" }));
  expect(result.out).toEqual([3, 4, 5, 6, 1, 2, 0, 0]);
  expect(result.binary).toMatch(/prebuilds[\\/]linux-x64[\\/]mixdim\.node$/);
}, 300_000);
