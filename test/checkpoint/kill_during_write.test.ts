/**
 * A process killed (SIGKILL) while it writes leaves the last complete checkpoint loadable.
 * The writer is a separate node process running the compiled ts/checkpoint modules; the test
 * kills it once its temporary file holds part of a large tensor.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { loadCheckpoint, saveCheckpoint, type CheckpointContents } from "../../ts/checkpoint/checkpoint.js";
import { readSafetensors, writeSafetensors } from "../../ts/checkpoint/safetensors.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const writer = path.join(repo, "test/checkpoint/fixtures/write_big.mjs");
const scratch = mkdtempSync(path.join(tmpdir(), "mixdim-kill-"));
const compiled = path.join(scratch, "compiled");
const megabytes = 256;

beforeAll(() => {
  // The checkpoint modules import only node: and ts/describe_value.ts, so they compile on their
  // own, whatever the state of dist/ or of the rest of ts/.
  execFileSync(process.execPath, [
    path.join(repo, "node_modules/typescript/bin/tsc"), "--outDir", compiled, "--rootDir", path.join(repo, "ts"),
    "--module", "NodeNext", "--moduleResolution", "NodeNext", "--target", "ES2022", "--strict", "--skipLibCheck",
    path.join(repo, "ts/checkpoint/checkpoint.ts"),
  ], { cwd: repo, stdio: "inherit" });
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Starts the writer and kills it once the temporary file `find` looks for holds more than a
 * megabyte. Resolves with that file's path and its size at the kill.
 */
async function killMidWrite(mode: string, target: string,
                            find: () => string | undefined): Promise<{ temporary: string; bytes: number }> {
  const child = spawn(process.execPath, [writer, path.join(compiled, "checkpoint"), mode, target, String(megabytes)],
                      { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.on("exit", (code, signal) => resolve(signal ?? code));
  });
  let seen: { temporary: string; bytes: number } | undefined;
  while (seen === undefined && child.exitCode === null) {
    const temporary = find();
    const bytes = temporary === undefined ? 0 : statSync(temporary, { throwIfNoEntry: false })?.size ?? 0;
    if (temporary !== undefined && bytes > 1 << 20) {
      child.kill("SIGKILL");
      seen = { temporary, bytes };
    } else {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  expect(await exited, `the writer finished before the kill (${output.trim()})`).toBe("SIGKILL");
  return seen!;
}

function temporaryIn(directory: string, name: string): string | undefined {
  if (!existsSync(directory)) return undefined;
  const found = readdirSync(directory).find((entry) => entry.startsWith(`${name}.tmp-`));
  return found === undefined ? undefined : path.join(directory, found);
}

describe("a writer killed mid-write", () => {
  it("leaves the previous safetensors file intact", async () => {
    const file = path.join(scratch, "weights.safetensors");
    const old = new Float32Array([1, 2, 3]);
    await writeSafetensors(file, { old: { dtype: "F32", shape: [3], data: old } });
    const before = readFileSync(file);

    const { temporary } = await killMidWrite("safetensors", file, () => temporaryIn(scratch, "weights.safetensors"));
    expect(existsSync(temporary)).toBe(true);  // killed before its rename
    expect(readFileSync(file).equals(before)).toBe(true);
    expect((await readSafetensors(file)).tensors.old!.data).toEqual(old);
    rmSync(temporary);
  }, 60_000);

  it("leaves the previous checkpoint loadable, and the next save succeeds", async () => {
    const dir = path.join(scratch, "checkpoint");
    const old: CheckpointContents = {
      plan: { dims: [4, 2] },
      state: { step: 1, rng: [12345, 678] },
      weights: { table: { dtype: "F32", shape: [2, 2], data: new Float32Array([0.1, 0.2, 0.3, 0.4]) } },
      optimizer: { table: { dtype: "F32", shape: [2], data: new Float32Array([5, 6]) } },
    };
    await saveCheckpoint(dir, old);

    const { temporary } = await killMidWrite("checkpoint", dir, () => temporaryIn(`${dir}.next`, "weights.safetensors"));
    expect(existsSync(temporary)).toBe(true);
    expect(existsSync(path.join(`${dir}.next`, "manifest.json"))).toBe(false);
    const loaded = await loadCheckpoint(dir);
    expect(loaded.plan).toEqual(old.plan);
    expect(loaded.state).toEqual(old.state);
    expect(loaded.weights).toEqual(old.weights);
    expect(loaded.optimizer).toEqual(old.optimizer);

    const next = { ...old, state: { step: 2, rng: [1, 2] } };
    await saveCheckpoint(dir, next);
    expect((await loadCheckpoint(dir)).state).toEqual(next.state);
    expect(readdirSync(scratch).filter((name) => name.startsWith("checkpoint"))).toEqual(["checkpoint"]);
  }, 60_000);
});
