/**
 * Named tensors in the safetensors format (https://github.com/huggingface/safetensors), so
 * that a PyTorch user can open them without mixdim:
 *
 * ```python
 * from safetensors.torch import load_file
 * t = load_file("weights.safetensors")   # {"name": torch.Tensor, ...}
 * ```
 *
 * The layout, as the format's README documents it:
 * - 8 bytes: N, the header's length, an unsigned little-endian 64-bit integer;
 * - N bytes: the header, UTF-8 JSON beginning with `{` and possibly padded with spaces:
 *   `{"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..],
 *   "data_offsets": [begin, end]}, ...}`, offsets relative to the byte buffer that follows;
 * - the byte buffer: each tensor's elements, row-major and little-endian, with no gaps.
 *
 * The writer pads the header to a multiple of 8 bytes, as the reference implementation does,
 * and stores the tensors by decreasing element size (then by name), so every tensor's data is
 * aligned to its element size and a reader can map the file without copying.
 */
import { open, type FileHandle } from "node:fs/promises";
import { endianness } from "node:os";

import { describe } from "../describe_value.js";

import { writeFileAtomically, type FileDigest } from "./atomic_write.js";
import { CheckpointError } from "./checkpoint_error.js";

interface ElementArrays {
  F64: Float64Array;
  I64: BigInt64Array;
  F32: Float32Array;
  I32: Int32Array;
  U8: Uint8Array;
}

/** The safetensors dtypes mixdim reads and writes. */
export type SafetensorsDType = keyof ElementArrays;

/** A named tensor's element type, shape (row-major) and elements. */
export type TensorData = {
  [D in SafetensorsDType]: { dtype: D; shape: readonly number[]; data: ElementArrays[D] };
}[SafetensorsDType];

export interface SafetensorsContents {
  tensors: Record<string, TensorData>;
  /** The header's `__metadata__` strings; empty when the file has none. */
  metadata: Record<string, string>;
}

interface ElementType {
  bytes: number;
  /** With its article, for messages. */
  arrayName: string;
  isArray(data: unknown): boolean;
  allocate(length: number): ElementArrays[SafetensorsDType];
}

const elementTypes: Record<SafetensorsDType, ElementType> = {
  F64: { bytes: 8, arrayName: "a Float64Array", isArray: (d) => d instanceof Float64Array, allocate: (n) => new Float64Array(n) },
  I64: { bytes: 8, arrayName: "a BigInt64Array", isArray: (d) => d instanceof BigInt64Array, allocate: (n) => new BigInt64Array(n) },
  F32: { bytes: 4, arrayName: "a Float32Array", isArray: (d) => d instanceof Float32Array, allocate: (n) => new Float32Array(n) },
  I32: { bytes: 4, arrayName: "an Int32Array", isArray: (d) => d instanceof Int32Array, allocate: (n) => new Int32Array(n) },
  U8: { bytes: 1, arrayName: "a Uint8Array", isArray: (d) => d instanceof Uint8Array, allocate: (n) => new Uint8Array(n) },
};
const dtypeNames = Object.keys(elementTypes) as SafetensorsDType[];

function isDType(value: unknown): value is SafetensorsDType {
  return typeof value === "string" && Object.hasOwn(elementTypes, value);
}

/** The reference implementation refuses headers over 100 MB; so do we, before allocating one. */
const maxHeaderBytes = 100_000_000;

function requireLittleEndian(): void {
  // Typed arrays hold the platform's byte order; the format is little-endian.
  if (endianness() !== "LE") throw new Error("safetensors files are little-endian; this platform is big-endian");
}

/**
 * A file's bytes, validated and laid out but not yet written: the length prefix and header,
 * then views of the tensors' memory (no copy).
 * @internal
 */
export interface SafetensorsLayout {
  head: Uint8Array;
  parts: Uint8Array[];
}

/** Checks `tensors` (an argument named `argument`) and lays out the file. @internal */
export function layoutSafetensors(tensors: unknown, metadata: unknown, argument: string): SafetensorsLayout {
  requireLittleEndian();
  if (typeof tensors !== "object" || tensors === null || Array.isArray(tensors)) {
    throw new TypeError(`${argument} must be an object mapping names to tensors, got ${describe(tensors)}`);
  }
  const entries = Object.entries(tensors).map(([name, tensor]) => checkTensor(name, tensor, argument));
  entries.sort((a, b) => elementTypes[b.tensor.dtype].bytes - elementTypes[a.tensor.dtype].bytes ||
                         (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // Built by hand rather than by JSON.stringify of an object, which would move names that
  // look like integers ("0", "12") ahead of the rest.
  const fields: string[] = [];
  if (metadata !== undefined) fields.push(`"__metadata__":${JSON.stringify(checkMetadata(metadata))}`);
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const { name, tensor } of entries) {
    const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    fields.push(`${JSON.stringify(name)}:${JSON.stringify({
      dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, offset + bytes.byteLength],
    })}`);
    offset += bytes.byteLength;
    if (bytes.byteLength > 0) parts.push(bytes);
  }
  const json = new TextEncoder().encode(`{${fields.join(",")}}`);
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const head = new Uint8Array(8 + headerLength).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerLength), true);
  head.set(json, 8);
  return { head, parts };
}

function checkTensor(name: string, tensor: unknown, argument: string): { name: string; tensor: TensorData } {
  const at = `${argument}${propertyPath(name)}`;
  if (name === "" || name === "__metadata__") {
    throw new RangeError(`${at}: the name ${JSON.stringify(name)} is reserved by the safetensors format`);
  }
  if (typeof tensor !== "object" || tensor === null || ArrayBuffer.isView(tensor)) {
    throw new TypeError(`${at} must be an object { dtype, shape, data }, got ${describe(tensor)}`);
  }
  const { dtype, shape, data } = tensor as Record<string, unknown>;
  if (!isDType(dtype)) {
    throw new RangeError(`${at}.dtype = ${JSON.stringify(dtype)} is not one of ${dtypeNames.join(", ")}`);
  }
  if (!Array.isArray(shape)) throw new TypeError(`${at}.shape must be an array of sizes, got ${describe(shape)}`);
  const type = elementTypes[dtype];
  if (!type.isArray(data)) {
    throw new TypeError(`${at}.data must be ${type.arrayName} for dtype ${dtype}, got ${describe(data)}`);
  }
  let count = 1;
  shape.forEach((extent: unknown, axis) => {
    if (typeof extent !== "number" || !Number.isSafeInteger(extent) || extent < 0) {
      throw new RangeError(`${at}.shape[${axis}] = ${String(extent)} must be a non-negative integer`);
    }
    count *= extent;
  });
  const length = (data as ElementArrays[SafetensorsDType]).length;
  if (count !== length) {
    throw new RangeError(`${at}.shape [${shape.join(", ")}] holds ${count} elements but ${at}.data has ${length}`);
  }
  return { name, tensor: tensor as TensorData };
}

function checkMetadata(metadata: unknown): Record<string, string> {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new TypeError(`metadata must be an object of strings, got ${describe(metadata)}`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") {
      throw new TypeError(`metadata${propertyPath(key)} must be a string, got ${describe(value)}`);
    }
  }
  return metadata as Record<string, string>;
}

/** Writes a laid-out file atomically (see atomic_write.ts). @internal */
export function writeSafetensorsLayout(path: string, layout: SafetensorsLayout): Promise<FileDigest> {
  return writeFileAtomically(path, async (sink) => {
    await sink.write(layout.head);
    for (const part of layout.parts) await sink.write(part);
  });
}

/**
 * Writes named tensors to a safetensors file, atomically: a crash leaves the previous file.
 * Tensors may be views (subarrays) of larger buffers; their bytes are written without a copy.
 *
 * @example
 * await writeSafetensors("weights.safetensors", {
 *   "user.embedding": { dtype: "F32", shape: [2, 3], data: new Float32Array(6) },
 * });
 */
export async function writeSafetensors(path: string, tensors: Record<string, TensorData>,
                                       metadata?: Record<string, string>): Promise<FileDigest> {
  if (typeof path !== "string") throw new TypeError(`path must be a string, got ${describe(path)}`);
  return writeSafetensorsLayout(path, layoutSafetensors(tensors, metadata, "tensors"));
}

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Reads a safetensors file, checking everything the format promises before allocating:
 * the header's length and JSON, each tensor's dtype, shape and byte range, and that the
 * ranges tile the byte buffer exactly and the file holds all of it. A damaged file raises a
 * CheckpointError naming the file and the fault.
 */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  if (typeof path !== "string") throw new TypeError(`path must be a string, got ${describe(path)}`);
  requireLittleEndian();
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new CheckpointError(path, `cannot open ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const fileBytes = (await handle.stat()).size;
    if (fileBytes < 8) {
      throw new CheckpointError(path, `${path} is truncated: it holds ${fileBytes} bytes, fewer than the 8 of ` +
                                      "the header's length");
    }
    const prefix = new Uint8Array(8);
    await readExactly(handle, path, prefix, 0);
    const headerLength = new DataView(prefix.buffer).getBigUint64(0, true);
    if (headerLength > BigInt(maxHeaderBytes)) {
      throw new CheckpointError(path, `${path} is not a safetensors file: its header length ${headerLength} is ` +
                                      `over the limit of ${maxHeaderBytes} bytes`);
    }
    const headerBytes = Number(headerLength);
    if (8 + headerBytes > fileBytes) {
      throw new CheckpointError(path, `${path} is truncated: its header length promises ${headerBytes} bytes of ` +
                                      `header, the file holds ${fileBytes - 8} after the length`);
    }
    const headerData = new Uint8Array(headerBytes);
    await readExactly(handle, path, headerData, 8);
    const { entries, metadata } = parseHeader(path, headerData);

    const bufferBytes = fileBytes - 8 - headerBytes;
    const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
    let cursor = 0;
    let previous: HeaderEntry | undefined;
    for (const entry of sorted) {
      if (entry.begin < cursor) {
        throw new CheckpointError(path, `${path} is corrupted: tensor ${JSON.stringify(entry.name)}'s data ` +
                                        `[${entry.begin}, ${entry.end}) overlaps ${JSON.stringify(previous!.name)}'s`);
      }
      if (entry.begin > cursor) {
        throw new CheckpointError(path, `${path} is corrupted: the bytes [${cursor}, ${entry.begin}) of the data ` +
                                        "belong to no tensor");
      }
      cursor = entry.end;
      previous = entry;
    }
    if (cursor > bufferBytes) {
      throw new CheckpointError(path, `${path} is truncated: header promises ${cursor} bytes of tensor data, ` +
                                      `file holds ${bufferBytes}`);
    }
    if (cursor < bufferBytes) {
      throw new CheckpointError(path, `${path} is corrupted: it holds ${bufferBytes} bytes of tensor data but ` +
                                      `its header accounts for ${cursor}`);
    }

    const tensors: [string, TensorData][] = [];
    for (const entry of sorted) {
      const data = elementTypes[entry.dtype].allocate((entry.end - entry.begin) / elementTypes[entry.dtype].bytes);
      await readExactly(handle, path, new Uint8Array(data.buffer), 8 + headerBytes + entry.begin);
      tensors.push([entry.name, { dtype: entry.dtype, shape: entry.shape, data } as TensorData]);
    }
    // fromEntries defines each name as an own property, "__proto__" included.
    return { tensors: Object.fromEntries(tensors), metadata };
  } finally {
    await handle.close();
  }
}

function parseHeader(path: string, bytes: Uint8Array): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  const corrupted = (what: string, cause?: unknown) =>
    new CheckpointError(path, `${path} is not a valid safetensors file: ${what}`, { cause });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw corrupted("its header is not UTF-8", error);
  }
  if (!text.startsWith("{")) throw corrupted(`its header begins with ${JSON.stringify(text.slice(0, 16))}, not "{"`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw corrupted(`its header is not JSON (${(error as Error).message})`, error);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw corrupted("its header is not a JSON object");
  }

  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    const quoted = JSON.stringify(name);
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value) ||
          !Object.values(value).every((item) => typeof item === "string")) {
        throw corrupted("__metadata__ is not an object of strings");
      }
      metadata = value as Record<string, string>;
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw corrupted(`the entry for tensor ${quoted} is not an object`);
    }
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (!isDType(dtype)) {
      throw corrupted(`tensor ${quoted} has dtype ${JSON.stringify(dtype)}, which mixdim does not read ` +
                      `(it reads ${dtypeNames.join(", ")})`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      throw corrupted(`tensor ${quoted} has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) ||
        offsets[0]! > offsets[1]!) {
      throw corrupted(`tensor ${quoted} has data_offsets ${JSON.stringify(offsets)}, not [begin, end] ` +
                      "with 0 <= begin <= end");
    }
    const [begin, end] = offsets as [number, number];
    const expected = (shape as number[]).reduce((product, extent) => product * extent, elementTypes[dtype].bytes);
    if (end - begin !== expected) {
      throw corrupted(`tensor ${quoted}'s data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ` +
                      `dtype ${dtype} and shape [${(shape as number[]).join(", ")}] need ${expected}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  return { entries, metadata };
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Fills `into` from `position`, or reports the file as truncated (it shrank while being read). */
async function readExactly(handle: FileHandle, path: string, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) {
      throw new CheckpointError(path, `${path} is truncated: it ends at byte ${position + done}, ` +
                                      `${into.byteLength - done} bytes short of what its header describes`);
    }
    done += bytesRead;
  }
}

/** `.name` for identifier-like names, `["name"]` otherwise, for error messages. @internal */
export function propertyPath(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

