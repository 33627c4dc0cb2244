/**
 * Checkpoint directories: a round trip restores every byte and value, a damaged file is
 * named, and a save stopped at any step leaves a checkpoint that loads whole.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync,
         writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

import {
  hasCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointContents, type CheckpointSaveStep,
} from "../../ts/checkpoint/checkpoint.js";
import { CheckpointError } from "../../ts/checkpoint/checkpoint_error.js";
import { readSafetensors, type TensorData } from "../../ts/checkpoint/safetensors.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

const scratch = mkdtempSync(path.join(tmpdir(), "mixdim-checkpoint-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = () => path.join(scratch, `run-${dirCount++}`, "checkpoint");

/** A trainer's checkpoint at `step`, its values drawn from `random`. */
function contents(random: () => number, step: number): CheckpointContents {
  const table = randomFloats(random, 60 + 8);
  return {
    plan: { fields: ["user", "item"], dims: [randomInt(random, 1, 64), 8], method: "mde", alpha: 0.3 },
    state: {
      step,
      epoch: step / 100,
      rng: [randomInt(random, 0, 2 ** 31), randomInt(random, 0, 2 ** 31)],
      lr: random() * 1e-3,        // any double survives JSON exactly
      tiny: 5e-324,
      history: [{ loss: random(), auc: null }],
      config: { name: "criteo → ä", nested: { on: true } },
    },
    weights: {
      "user.table": { dtype: "F32", shape: [20, 3], data: table.subarray(8) },
      "user.projection": { dtype: "F32", shape: [3, 2], data: randomFloats(random, 6) },
      "item.ids": { dtype: "I32", shape: [4], data: Int32Array.from({ length: 4 }, () => randomInt(random, -100, 100)) },
      empty: { dtype: "F32", shape: [0, 3], data: new Float32Array(0) },
    },
    optimizer: {
      "user.table.adagrad": { dtype: "F32", shape: [20], data: randomFloats(random, 20, 5) },
      step: { dtype: "I64", shape: [], data: new BigInt64Array([BigInt(step)]) },
      "rng.state": { dtype: "U8", shape: [16], data: Uint8Array.from({ length: 16 }, () => randomInt(random, 0, 256)) },
      moments: { dtype: "F64", shape: [2], data: new Float64Array([random(), -random()]) },
    },
  };
}

function bytesOf(data: ArrayBufferView): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Every value and every tensor byte of `actual` equals `expected`'s. */
function expectSameCheckpoint(actual: CheckpointContents, expected: CheckpointContents): void {
  expect(actual.plan).toEqual(expected.plan);
  expect(actual.state).toEqual(expected.state);
  for (const part of ["weights", "optimizer"] as const) {
    expect(Object.keys(actual[part]).sort()).toEqual(Object.keys(expected[part]).sort());
    for (const [name, tensor] of Object.entries(expected[part])) {
      const loaded: TensorData = actual[part][name]!;
      expect(loaded.dtype, name).toBe(tensor.dtype);
      expect(loaded.shape, name).toEqual(tensor.shape);
      expect(bytesOf(loaded.data).equals(bytesOf(tensor.data)), `${part}.${name} bytes`).toBe(true);
    }
  }
}

/** The names in the checkpoint's parent directory, sorted. */
function siblings(dir: string): string[] {
  return readdirSync(path.dirname(dir)).sort();
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(() => { throw new Error("expected a rejection"); }, (error: Error) => error);
}

describe("checkpoints", () => {
  it("round-trip plan, state, weights and optimizer state exactly", async () => {
    const random = rng(testSeed("checkpoint round trip"));
    const dir = freshDir();
    const saved = contents(random, 1200);
    await saveCheckpoint(dir, saved);
    expectSameCheckpoint(await loadCheckpoint(dir), saved);
    expect(await hasCheckpoint(dir)).toBe(true);
  });

  it("holds plan.json, two safetensors files and a manifest of their sizes and SHA-256", async () => {
    const dir = freshDir();
    const saved = contents(rng(testSeed("checkpoint layout")), 5);
    await saveCheckpoint(dir, saved);
    expect(readdirSync(dir).sort()).toEqual(["manifest.json", "optimizer.safetensors", "plan.json", "weights.safetensors"]);
    const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"));
    expect(manifest.format).toBe("mixdim-checkpoint");
    for (const name of ["plan.json", "weights.safetensors", "optimizer.safetensors"]) {
      const bytes = readFileSync(path.join(dir, name));
      expect(manifest.files[name]).toEqual({ bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }
    expect(JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8"))).toEqual({ plan: saved.plan, state: saved.state });
    const weights = await readSafetensors(path.join(dir, "weights.safetensors"));
    expect(Object.keys(weights.tensors).sort()).toEqual(Object.keys(saved.weights).sort());
  });

  it("a second save replaces the first and leaves no sibling directories", async () => {
    const random = rng(testSeed("checkpoint replace"));
    const dir = freshDir();
    await saveCheckpoint(dir, contents(random, 1));
    const second = contents(random, 2);
    await saveCheckpoint(dir, second);
    expectSameCheckpoint(await loadCheckpoint(dir), second);
    expect(siblings(dir)).toEqual(["checkpoint"]);
  });

  describe("rejects a damaged checkpoint with a CheckpointError naming the file", () => {
    for (const name of ["plan.json", "weights.safetensors", "optimizer.safetensors", "manifest.json"]) {
      it(`a flipped byte in ${name}`, async () => {
        const random = rng(testSeed(`checkpoint flip ${name}`));
        const dir = freshDir();
        await saveCheckpoint(dir, contents(random, 3));
        const file = path.join(dir, name);
        const bytes = readFileSync(file);
        const at = randomInt(random, 0, bytes.length);
        bytes[at]! ^= 1 << randomInt(random, 0, 8);
        writeFileSync(file, bytes);
        const error = await rejection(loadCheckpoint(dir));
        expect(error).toBeInstanceOf(CheckpointError);
        expect(error.message).toContain(`${file} is corrupted`);
        expect((error as CheckpointError).path).toBe(file);
      });
    }

    it("a truncated weights file", async () => {
      const dir = freshDir();
      await saveCheckpoint(dir, contents(rng(testSeed("checkpoint truncate")), 3));
      const file = path.join(dir, "weights.safetensors");
      const full = readFileSync(file).length;
      truncateSync(file, full - 10);
      await expect(loadCheckpoint(dir)).rejects.toThrow(
        `${file} is truncated: it holds ${full - 10} bytes, the manifest records ${full}`);
    });

    it("a missing optimizer file", async () => {
      const dir = freshDir();
      await saveCheckpoint(dir, contents(rng(testSeed("checkpoint missing file")), 3));
      rmSync(path.join(dir, "optimizer.safetensors"));
      await expect(loadCheckpoint(dir)).rejects.toThrow(/optimizer\.safetensors, which the manifest lists: ENOENT/);
    });

    it("a directory without a manifest", async () => {
      const dir = freshDir();
      mkdirSync(dir, { recursive: true });
      await expect(loadCheckpoint(dir)).rejects.toThrow(`${dir} is not a complete checkpoint: it has no manifest.json`);
      expect(await hasCheckpoint(dir)).toBe(false);
    });

    it("no checkpoint at all", async () => {
      const dir = freshDir();
      await expect(loadCheckpoint(dir)).rejects.toThrow(new CheckpointError(dir, `there is no checkpoint at ${dir}`));
      expect(await hasCheckpoint(dir)).toBe(false);
    });

    it("a corrupted checkpoint whose predecessor survives says where the intact one is", async () => {
      const random = rng(testSeed("checkpoint corrupted with prev"));
      const dir = freshDir();
      const first = contents(random, 1);
      await saveCheckpoint(dir, first);
      await saveCheckpoint(dir, contents(random, 2), {
        beforeStep: (step) => { if (step === "remove-previous") throw new Error("crash"); },
      }).catch(() => undefined);
      const planBytes = readFileSync(path.join(dir, "plan.json"));
      planBytes[0]! ^= 1;
      writeFileSync(path.join(dir, "plan.json"), planBytes);
      await expect(loadCheckpoint(dir)).rejects.toThrow(
        new RegExp(`plan\\.json is corrupted.*The previous checkpoint, ${dir}\\.prev, is intact`));
      expectSameCheckpoint(await loadCheckpoint(`${dir}.prev`), first);
    });
  });

  describe("a save stopped at any step leaves a whole checkpoint, and the next save cleans up", () => {
    // Which checkpoint a load sees after a crash before each step.
    const outcomes: [CheckpointSaveStep, "old" | "new"][] = [
      ["write-plan", "old"], ["write-weights", "old"], ["write-optimizer", "old"], ["write-manifest", "old"],
      ["retire-current", "old"], ["commit", "old"], ["remove-previous", "new"],
    ];
    for (const [crashAt, survivor] of outcomes) {
      it(`before ${crashAt}, the ${survivor} checkpoint loads`, async () => {
        const random = rng(testSeed(`checkpoint crash ${crashAt}`));
        const dir = freshDir();
        const old = contents(random, 10);
        const interrupted = contents(random, 20);
        await saveCheckpoint(dir, old);
        const crash = new Error(`simulated crash before ${crashAt}`);
        await expect(saveCheckpoint(dir, interrupted, {
          beforeStep: (step) => { if (step === crashAt) throw crash; },
        })).rejects.toBe(crash);
        expectSameCheckpoint(await loadCheckpoint(dir), survivor === "old" ? old : interrupted);
        expect(await hasCheckpoint(dir)).toBe(true);

        const latest = contents(random, 30);
        await saveCheckpoint(dir, latest);
        expectSameCheckpoint(await loadCheckpoint(dir), latest);
        expect(siblings(dir)).toEqual(["checkpoint"]);
      });
    }

    it("a first save stopped before its commit leaves no checkpoint, and says so", async () => {
      const dir = freshDir();
      await saveCheckpoint(dir, contents(rng(1), 1), {
        beforeStep: (step) => { if (step === "commit") throw new Error("crash"); },
      }).catch(() => undefined);
      await expect(loadCheckpoint(dir)).rejects.toThrow(
        `there is no checkpoint at ${dir}; ${dir}.next is a save that never committed`);
      expect(await hasCheckpoint(dir)).toBe(false);
    });

    it("the old checkpoint is found in <dir>.prev when <dir> is missing", async () => {
      const random = rng(testSeed("checkpoint prev only"));
      const dir = freshDir();
      const old = contents(random, 1);
      await saveCheckpoint(dir, old);
      renameSync(dir, `${dir}.prev`);
      expectSameCheckpoint(await loadCheckpoint(dir), old);
      expect(await hasCheckpoint(dir)).toBe(true);
    });

    it("an aborted save keeps the old checkpoint", async () => {
      const random = rng(testSeed("checkpoint abort"));
      const dir = freshDir();
      const old = contents(random, 1);
      await saveCheckpoint(dir, old);
      const controller = new AbortController();
      const saving = saveCheckpoint(dir, contents(random, 2), {
        signal: controller.signal,
        beforeStep: (step) => { if (step === "write-optimizer") controller.abort(); },
      });
      await expect(saving).rejects.toThrow(/aborted/i);
      expectSameCheckpoint(await loadCheckpoint(dir), old);
    });
  });

  describe("never deletes what it did not write", () => {
    it("refuses to replace a directory holding other files", async () => {
      const dir = freshDir();
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "notes.txt"), "mine");
      await expect(saveCheckpoint(dir, contents(rng(2), 1))).rejects.toThrow(
        `${dir} is not a checkpoint directory (it holds notes.txt); refusing to replace it`);
      expect(readFileSync(path.join(dir, "notes.txt"), "utf8")).toBe("mine");
      expect(existsSync(`${dir}.next`)).toBe(false);
    });

    it("refuses to clear a leftover <dir>.next holding other files", async () => {
      const dir = freshDir();
      mkdirSync(`${dir}.next`, { recursive: true });
      writeFileSync(path.join(`${dir}.next`, "data.bin"), "mine");
      await expect(saveCheckpoint(dir, contents(rng(3), 1))).rejects.toThrow(/\.next holds files that are not part of a checkpoint \(data\.bin\)/);
      expect(readFileSync(path.join(`${dir}.next`, "data.bin"), "utf8")).toBe("mine");
    });

    it("saves into an existing empty directory", async () => {
      const dir = freshDir();
      mkdirSync(dir, { recursive: true });
      const saved = contents(rng(testSeed("checkpoint empty dir")), 1);
      await saveCheckpoint(dir, saved);
      expectSameCheckpoint(await loadCheckpoint(dir), saved);
    });
  });

  it("rejects contents JSON cannot hold, and bad tensors, naming them, before touching the disk", async () => {
    const dir = freshDir();
    const base = contents(rng(4), 1);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const save = (changes: Partial<Record<keyof CheckpointContents, unknown>>) =>
      saveCheckpoint(dir, { ...base, ...changes } as CheckpointContents);
    await expect(save({ state: { lr: Number.NaN } })).rejects.toThrow(new RangeError("state.lr = NaN cannot be stored in JSON"));
    await expect(save({ state: { seen: [1, Infinity] } })).rejects.toThrow(new RangeError("state.seen[1] = Infinity cannot be stored in JSON"));
    await expect(save({ plan: { dims: new Map() } })).rejects.toThrow(
      new TypeError("plan.dims is a Map; only plain objects, arrays, strings, finite numbers, booleans and null can be stored in JSON"));
    await expect(save({ state: { "a b": undefined } })).rejects.toThrow(
      new TypeError('state["a b"] is undefined, which cannot be stored in JSON'));
    await expect(save({ state: { n: 1n } })).rejects.toThrow(new TypeError("state.n is bigint 1, which cannot be stored in JSON"));
    await expect(save({ state: cycle })).rejects.toThrow(new TypeError("state.self refers back to an object that contains it"));
    await expect(save({ weights: { w: { dtype: "F32", shape: [2], data: new Float64Array(2) } } })).rejects.toThrow(
      new TypeError("weights.w.data must be a Float32Array for dtype F32, got a Float64Array"));
    await expect(save({ optimizer: null })).rejects.toThrow(
      new TypeError("optimizer must be an object mapping names to tensors, got null"));
    await expect(save({ state: { f: () => 1 } })).rejects.toThrow(new TypeError("state.f is a function, which cannot be stored in JSON"));
    await expect(saveCheckpoint("", base)).rejects.toThrow(new RangeError("dir must not be empty"));
    await expect(saveCheckpoint(7 as unknown as string, base)).rejects.toThrow(new TypeError("dir must be a path string, got number 7"));
    expect(existsSync(path.dirname(dir))).toBe(false);
  });
});
