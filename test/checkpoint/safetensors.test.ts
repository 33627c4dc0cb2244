/**
 * safetensors files: written as the format's README lays them out, read back bit for bit,
 * and damaged files refused with a message naming the file and the fault.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

import { CheckpointError } from "../../ts/checkpoint/checkpoint_error.js";
import { readSafetensors, writeSafetensors, type TensorData } from "../../ts/checkpoint/safetensors.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

const scratch = mkdtempSync(path.join(tmpdir(), "mixdim-safetensors-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let fileCount = 0;
const freshPath = () => path.join(scratch, `file-${fileCount++}.safetensors`);

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Tensors of every dtype, with awkward floats, an empty tensor, a scalar and subarray views. */
function sampleTensors(random: () => number): Record<string, TensorData> {
  const special = new Float32Array([Number.NaN, -0, Infinity, -Infinity, 1e-45, 3.4028234663852886e38]);
  const nanPayload = new Uint32Array(special.buffer);
  nanPayload[0] = 0x7fc01234;  // a NaN with a payload must survive as is
  const big = randomFloats(random, 1000 + randomInt(random, 0, 100));
  const ids = Int32Array.from({ length: 37 }, () => randomInt(random, -(2 ** 31), 2 ** 31));
  const longs = BigInt64Array.from({ length: 5 }, (_, i) => BigInt(randomInt(random, 0, 2 ** 31)) * 2n ** 31n - BigInt(i));
  const doubles = Float64Array.from({ length: 12 }, () => random() * 1e300);
  const bytes = Uint8Array.from({ length: 13 }, () => randomInt(random, 0, 256));
  return {
    "embedding.0": { dtype: "F32", shape: [big.length / 2 | 0, 2], data: big.subarray(0, (big.length / 2 | 0) * 2) },
    "view.odd_offset": { dtype: "F32", shape: [3], data: big.subarray(7, 10) },
    special: { dtype: "F32", shape: [2, 3], data: special },
    ids: { dtype: "I32", shape: [37], data: ids.subarray(0) },
    "ids.tail": { dtype: "I32", shape: [5], data: ids.subarray(32) },
    step: { dtype: "I64", shape: [], data: longs.subarray(4) },
    longs: { dtype: "I64", shape: [5], data: longs },
    doubles: { dtype: "F64", shape: [3, 4], data: doubles },
    bytes: { dtype: "U8", shape: [13], data: bytes.subarray(0) },
    "bytes.view": { dtype: "U8", shape: [3], data: bytes.subarray(5, 8) },
    empty: { dtype: "F32", shape: [0], data: new Float32Array(0) },
    "empty.rows": { dtype: "I64", shape: [3, 0], data: new BigInt64Array(0) },
    "名前 with spaces": { dtype: "U8", shape: [1], data: new Uint8Array([7]) },
    "0": { dtype: "F64", shape: [1], data: new Float64Array([Math.PI]) },
  };
}

/** An independent encoder, the way the reference writes a file (here without padding). */
function encodeByHand(header: object, buffer: Uint8Array, padTo = 1): Uint8Array {
  let json = JSON.stringify(header);
  while (json.length % padTo !== 0) json += " ";
  const jsonBytes = new TextEncoder().encode(json);
  const file = new Uint8Array(8 + jsonBytes.length + buffer.length);
  new DataView(file.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  file.set(jsonBytes, 8);
  file.set(buffer, 8 + jsonBytes.length);
  return file;
}

describe("safetensors", () => {
  it("round-trips every dtype bit for bit, including empty tensors, a scalar and subarray views", async () => {
    const tensors = sampleTensors(rng(testSeed("safetensors round trip")));
    const file = freshPath();
    const digest = await writeSafetensors(file, tensors, { producer: "mixdim", note: "ü" });
    const { tensors: loaded, metadata } = await readSafetensors(file);
    expect(metadata).toEqual({ producer: "mixdim", note: "ü" });
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, tensor] of Object.entries(tensors)) {
      const back = loaded[name]!;
      expect(back.dtype, name).toBe(tensor.dtype);
      expect(back.shape, name).toEqual(tensor.shape);
      expect(back.data.constructor, name).toBe(tensor.data.constructor);
      expect(Buffer.from(bytesOf(back.data)).equals(Buffer.from(bytesOf(tensor.data))), name).toBe(true);
    }
    expect(digest.bytes).toBe(readFileSync(file).length);
  });

  it("lays the file out as documented: 8-byte LE length, JSON header, contiguous offsets, data aligned to 8", async () => {
    const tensors = sampleTensors(rng(testSeed("safetensors layout")));
    const file = freshPath();
    await writeSafetensors(file, tensors, { producer: "mixdim" });
    const bytes = readFileSync(file);

    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);
    const headerText = bytes.subarray(8, 8 + headerLength).toString("utf8");
    expect(headerText[0]).toBe("{");
    const json = headerText.trimEnd();
    expect(headerText.slice(json.length)).toMatch(/^ *$/);
    expect(headerLength - Buffer.byteLength(json)).toBeLessThan(8);
    const header = JSON.parse(json) as Record<string, unknown>;
    expect(header.__metadata__).toEqual({ producer: "mixdim" });

    const buffer = bytes.subarray(8 + headerLength);
    const sizes = { F32: 4, F64: 8, I32: 4, I64: 8, U8: 1 } as const;
    const entries = Object.entries(tensors).map(([name, tensor]) => {
      const entry = header[name] as { dtype: string; shape: number[]; data_offsets: [number, number] };
      expect(entry, name).toBeDefined();
      expect(Object.keys(entry).sort()).toEqual(["data_offsets", "dtype", "shape"]);
      expect(entry.dtype).toBe(tensor.dtype);
      expect(entry.shape).toEqual(tensor.shape);
      const [begin, end] = entry.data_offsets;
      expect(end - begin).toBe(tensor.shape.reduce((a, b) => a * b, 1) * sizes[tensor.dtype]);
      expect((8 + headerLength + begin) % sizes[tensor.dtype], `${name} is aligned`).toBe(0);
      // The bytes at the offsets are the elements, little-endian, read independently of typed arrays.
      const view = new DataView(buffer.buffer, buffer.byteOffset + begin, end - begin);
      const expected = Array.from(tensor.data as ArrayLike<number | bigint>, (value) => value);
      const actual = expected.map((_, i) => {
        switch (tensor.dtype) {
          case "F32": return view.getFloat32(4 * i, true);
          case "F64": return view.getFloat64(8 * i, true);
          case "I32": return view.getInt32(4 * i, true);
          case "I64": return view.getBigInt64(8 * i, true);
          case "U8": return view.getUint8(i);
        }
      });
      expect(actual, name).toEqual(expected);
      return { begin, end };
    });
    expect(Object.keys(header).length).toBe(entries.length + 1);
    entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
    let cursor = 0;
    for (const { begin, end } of entries) {
      expect(begin).toBe(cursor);
      cursor = end;
    }
    expect(cursor).toBe(buffer.length);
  });

  it("writes no __metadata__ when given none", async () => {
    const file = freshPath();
    await writeSafetensors(file, { x: { dtype: "U8", shape: [2], data: new Uint8Array([1, 2]) } });
    const bytes = readFileSync(file);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
    expect(header).toEqual({ x: { dtype: "U8", shape: [2], data_offsets: [0, 2] } });
    expect((await readSafetensors(file)).metadata).toEqual({});
  });

  it("reads a file from another writer: unpadded header, entries out of offset order", async () => {
    const buffer = new Uint8Array(4 + 8);
    new DataView(buffer.buffer).setFloat32(8, 2.5, true);
    new DataView(buffer.buffer).setBigInt64(0, -3n, true);
    const file = freshPath();
    writeFileSync(file, encodeByHand({
      b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
      __metadata__: { format: "pt" },
      a: { dtype: "I64", shape: [1, 1], data_offsets: [0, 8] },
    }, buffer));
    const { tensors, metadata } = await readSafetensors(file);
    expect(metadata).toEqual({ format: "pt" });
    expect(tensors.b).toEqual({ dtype: "F32", shape: [1], data: new Float32Array([2.5]) });
    expect(tensors.a).toEqual({ dtype: "I64", shape: [1, 1], data: new BigInt64Array([-3n]) });
  });

  it("replaces an existing file and leaves no temporary file beside it", async () => {
    const file = freshPath();
    await writeSafetensors(file, { x: { dtype: "U8", shape: [1], data: new Uint8Array([1]) } });
    await writeSafetensors(file, { y: { dtype: "U8", shape: [1], data: new Uint8Array([2]) } });
    expect(Object.keys((await readSafetensors(file)).tensors)).toEqual(["y"]);
    expect(readdirSync(scratch).filter((name) => name.includes(".tmp-"))).toEqual([]);
  });

  describe("rejects a damaged file with a CheckpointError naming the file and the fault", () => {
    const good = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
    const cases: [string, () => Uint8Array, RegExp][] = [
      ["fewer than 8 bytes", () => new Uint8Array(5), /is truncated: it holds 5 bytes, fewer than the 8/],
      ["an absurd header length", () => {
        const file = new Uint8Array(16);
        new DataView(file.buffer).setBigUint64(0, 2n ** 62n, true);
        return file;
      }, /is not a safetensors file: its header length 4611686018427387904 is over the limit/],
      ["a header cut short", () => encodeByHand({ x: good }, new Uint8Array(8)).subarray(0, 20),
       /is truncated: its header length promises \d+ bytes of header, the file holds 12/],
      ["a header that is not JSON", () => encodeByHand({ x: good }, new Uint8Array(8)).fill(0x41, 12, 14),
       /is not a valid safetensors file: its header is not JSON/],
      ["a header not beginning with {", () => withHeaderText(new TextEncoder().encode(` ${JSON.stringify({ x: good })}`), 8),
       /its header begins with " \{\\"x\\"/],
      ["an unknown dtype", () => encodeByHand({ x: { ...good, dtype: "BF17" } }, new Uint8Array(8)),
       /tensor "x" has dtype "BF17", which mixdim does not read/],
      ["a negative size", () => encodeByHand({ x: { ...good, shape: [-2] } }, new Uint8Array(8)),
       /tensor "x" has shape \[-2\], not a list of non-negative integers/],
      ["reversed offsets", () => encodeByHand({ x: { ...good, data_offsets: [8, 0] } }, new Uint8Array(8)),
       /tensor "x" has data_offsets \[8,0\], not \[begin, end\]/],
      ["offsets that disagree with dtype and shape", () => encodeByHand({ x: { ...good, shape: [3] } }, new Uint8Array(8)),
       /tensor "x"'s data_offsets \[0, 8\] span 8 bytes, but dtype F32 and shape \[3\] need 12/],
      ["a gap between tensors", () => encodeByHand({ x: good, y: { ...good, data_offsets: [12, 20] } }, new Uint8Array(20)),
       /the bytes \[8, 12\) of the data belong to no tensor/],
      ["overlapping tensors", () => encodeByHand({ x: good, y: { ...good, data_offsets: [4, 12] } }, new Uint8Array(12)),
       /tensor "y"'s data \[4, 12\) overlaps "x"'s/],
      ["truncated tensor data", () => encodeByHand({ x: good, y: { ...good, data_offsets: [8, 16] } }, new Uint8Array(11)),
       /is truncated: header promises 16 bytes of tensor data, file holds 11/],
      ["bytes after the last tensor", () => encodeByHand({ x: good }, new Uint8Array(9)),
       /holds 9 bytes of tensor data but its header accounts for 8/],
      ["metadata that is not strings", () => encodeByHand({ __metadata__: { n: 1 }, x: good }, new Uint8Array(8)),
       /__metadata__ is not an object of strings/],
      ["a header that is a list", () => withHeaderText(new TextEncoder().encode("[1]"), 1),
       /its header begins with "\[1\]", not "\{"/],
    ];
    for (const [fault, make, message] of cases) {
      it(fault, async () => {
        const file = freshPath();
        writeFileSync(file, make());
        const error = await readSafetensors(file).then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(CheckpointError);
        expect((error as CheckpointError).message).toContain(file);
        expect((error as CheckpointError).message).toMatch(message);
        expect((error as CheckpointError).path).toBe(file);
      });
    }

    it("a file written by writeSafetensors and then truncated", async () => {
      const file = freshPath();
      await writeSafetensors(file, { w: { dtype: "F32", shape: [1024], data: new Float32Array(1024) } });
      const full = readFileSync(file).length;
      truncateSync(file, full - 1000);
      await expect(readSafetensors(file)).rejects.toThrow(
        `${file} is truncated: header promises 4096 bytes of tensor data, file holds 3096`);
    });

    it("a missing file", async () => {
      const file = path.join(scratch, "missing.safetensors");
      await expect(readSafetensors(file)).rejects.toThrow(`cannot open ${file}: ENOENT`);
    });
  });

  it("rejects bad arguments with errors naming them, before creating the file", async () => {
    const file = freshPath();
    const f32 = new Float32Array(4);
    const write = (tensors: unknown, metadata?: unknown) =>
      writeSafetensors(file, tensors as Record<string, TensorData>, metadata as Record<string, string>);
    await expect(write([f32])).rejects.toThrow(new TypeError("tensors must be an object mapping names to tensors, got an Array"));
    await expect(write({ w: f32 })).rejects.toThrow(new TypeError("tensors.w must be an object { dtype, shape, data }, got a Float32Array"));
    await expect(write({ w: { dtype: "F16", shape: [4], data: f32 } })).rejects.toThrow(
      new RangeError('tensors.w.dtype = "F16" is not one of F64, I64, F32, I32, U8'));
    await expect(write({ w: { dtype: "I32", shape: [4], data: f32 } })).rejects.toThrow(
      new TypeError("tensors.w.data must be an Int32Array for dtype I32, got a Float32Array"));
    await expect(write({ "a.b": { dtype: "F32", shape: [2, 3], data: f32 } })).rejects.toThrow(
      new RangeError('tensors["a.b"].shape [2, 3] holds 6 elements but tensors["a.b"].data has 4'));
    await expect(write({ w: { dtype: "F32", shape: [4, -1], data: f32 } })).rejects.toThrow(
      new RangeError("tensors.w.shape[1] = -1 must be a non-negative integer"));
    await expect(write({ w: { dtype: "F32", shape: "4", data: f32 } })).rejects.toThrow(TypeError);
    await expect(write({ __metadata__: { dtype: "F32", shape: [4], data: f32 } })).rejects.toThrow(
      new RangeError('tensors.__metadata__: the name "__metadata__" is reserved by the safetensors format'));
    await expect(write({}, { step: 3 })).rejects.toThrow(new TypeError("metadata.step must be a string, got number 3"));
    expect(readdirSync(scratch)).not.toContain(path.basename(file));
  });

  // The format's own reader, where it is installed (it is not in mixdim's test environment).
  const python = spawnSync("python3", ["-c", "import safetensors.numpy"]).status === 0;
  const torch = python && spawnSync("python3", ["-c", "import torch"]).status === 0;
  describe.runIf(python)("the safetensors Python package", () => {
    const script = (framework: string) => `
import sys, json
from safetensors.${framework} import load_file
tensors = load_file(sys.argv[1])
print(json.dumps({k: [str(v.dtype), list(v.shape), v.flatten().tolist()] for k, v in tensors.items()}))`;
    for (const framework of torch ? ["numpy", "torch"] : ["numpy"]) {
      it(`loads the file with safetensors.${framework}.load_file`, async () => {
        const file = freshPath();
        const data = new Float32Array([1.5, 2.5, -1, 4, 0.25, 8]);
        await writeSafetensors(file, {
          "emb.weight": { dtype: "F32", shape: [2, 3], data },
          ids: { dtype: "I64", shape: [2], data: new BigInt64Array([3n, 4n]) },
          empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
        });
        const loaded = JSON.parse(execFileSync("python3", ["-c", script(framework), file], { encoding: "utf8" }));
        expect(loaded["emb.weight"]).toEqual([expect.stringMatching(/float32/), [2, 3], Array.from(data)]);
        expect(loaded.ids).toEqual([expect.stringMatching(/int64/), [2], [3, 4]]);
        expect(loaded.empty).toEqual([expect.stringMatching(/float32/), [0, 4], []]);
      });
    }
  });
});

/** A file whose header is exactly `text`, padded with spaces to a multiple of `padTo`. */
function withHeaderText(text: Uint8Array, padTo: number): Uint8Array {
  const length = Math.ceil(text.length / padTo) * padTo;
  const file = new Uint8Array(8 + length).fill(0x20);
  new DataView(file.buffer).setBigUint64(0, BigInt(length), true);
  file.set(text, 8);
  return file;
}
