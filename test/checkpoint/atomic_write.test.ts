/**
 * Atomic file replacement: the target holds the old bytes or the new ones, never a mixture,
 * and no temporary file outlives a failed write.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

import { isTemporaryName, writeFileAtomically } from "../../ts/checkpoint/atomic_write.js";
import { randomInt, rng, testSeed } from "../support/random.js";

const scratch = mkdtempSync(path.join(tmpdir(), "mixdim-atomic-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("writeFileAtomically", () => {
  it("replaces the file, reports its size and SHA-256, and leaves no temporary file", async () => {
    const random = rng(testSeed("atomic write"));
    const file = path.join(scratch, "replace.bin");
    writeFileSync(file, "old contents");
    const chunks = Array.from({ length: 5 }, () =>
      Uint8Array.from({ length: randomInt(random, 0, 5000) }, () => randomInt(random, 0, 256)));
    const digest = await writeFileAtomically(file, async (sink) => {
      for (const chunk of chunks) await sink.write(chunk);
    });
    const written = readFileSync(file);
    expect(written.equals(Buffer.concat(chunks))).toBe(true);
    expect(digest).toEqual({ bytes: written.length, sha256: createHash("sha256").update(written).digest("hex") });
    expect(readdirSync(scratch)).toEqual(["replace.bin"]);
  });

  it("a failure while writing keeps the old file and removes the temporary file", async () => {
    const file = path.join(scratch, "failure.bin");
    writeFileSync(file, "old contents");
    const failure = new Error("disk full");
    await expect(writeFileAtomically(file, async (sink) => {
      await sink.write(new Uint8Array(100).fill(1));
      throw failure;
    })).rejects.toBe(failure);
    expect(readFileSync(file, "utf8")).toBe("old contents");
    expect(readdirSync(scratch).filter((name) => name.startsWith("failure"))).toEqual(["failure.bin"]);
  });

  it("creates a file that did not exist", async () => {
    const file = path.join(scratch, "new.bin");
    await writeFileAtomically(file, (sink) => sink.write(new Uint8Array([1, 2, 3])));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
  });

  it("fails without a trace when the directory does not exist", async () => {
    await expect(writeFileAtomically(path.join(scratch, "missing", "x.bin"), async () => undefined))
      .rejects.toThrow(/ENOENT/);
  });

  it("names its temporary files recognisably, and nothing else", () => {
    expect(isTemporaryName("plan.json.tmp-123-0a1b2c3d", "plan.json")).toBe(true);
    expect(isTemporaryName("plan.json.tmp-123-0a1b2c3", "plan.json")).toBe(false);
    expect(isTemporaryName("plan.json.tmp-x-0a1b2c3d", "plan.json")).toBe(false);
    expect(isTemporaryName("notes.txt", "plan.json")).toBe(false);
  });
});
