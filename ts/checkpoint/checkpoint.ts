/**
 * Checkpoints: everything a run needs to resume bit-for-bit, in one directory.
 *
 *   <dir>/plan.json               {"plan": size plan, "state": trainer state (step, RNG, ...)}
 *   <dir>/weights.safetensors     the model's named tensors (loadable by safetensors.torch)
 *   <dir>/optimizer.safetensors   the optimizer's named state tensors
 *   <dir>/manifest.json           each file's size and SHA-256, written last
 *
 * Saving is atomic for the directory as a whole. rename(2) cannot replace a non-empty
 * directory, so a save goes through two sibling directories, `<dir>.next` and `<dir>.prev`:
 *
 *   1. remove a stale `<dir>.next` (an earlier save that never committed);
 *   2. write the four files into a fresh `<dir>.next`, each fsynced, the manifest last;
 *   3. "retire-current": if `<dir>` exists, rename it to `<dir>.prev` (removing a stale
 *      `<dir>.prev` first; one is only ever left by a crash after step 4, when `<dir>` holds
 *      the newer checkpoint);
 *   4. "commit": rename `<dir>.next` to `<dir>`. This rename is the commit point;
 *   5. remove `<dir>.prev`.
 *
 * A crash before step 4 leaves the old checkpoint: in `<dir>`, or, between steps 3 and 4, in
 * `<dir>.prev` while `<dir>` is missing. Loading therefore reads `<dir>`, or `<dir>.prev` when
 * `<dir>` is missing, and never `<dir>.next`. A crash after step 4 leaves the new checkpoint in
 * `<dir>` and a stale `<dir>.prev`, which the next save removes. Removal only ever deletes the
 * checkpoint's own file names, so a directory holding anything else is refused, not deleted.
 * One process saves to a given `<dir>` at a time.
 *
 * Loading checks each file's size and SHA-256 against the manifest, and the manifest against
 * its own checksum, before parsing anything: a truncated or corrupted file is a
 * CheckpointError naming the file.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";

import { isTemporaryName, syncDirectory, writeFileAtomically, type FileDigest } from "./atomic_write.js";
import { describe } from "../describe_value.js";
import { CheckpointError } from "./checkpoint_error.js";
import {
  layoutSafetensors, propertyPath, readSafetensors, writeSafetensorsLayout, type TensorData,
} from "./safetensors.js";

export interface CheckpointContents {
  /** The size plan: any JSON value. */
  plan: unknown;
  /** The trainer's state (step, epoch, RNG state, config...): any JSON value. */
  state: unknown;
  /** The model's tensors, by name. */
  weights: Record<string, TensorData>;
  /** The optimizer's state tensors, by name. */
  optimizer: Record<string, TensorData>;
}

/** The steps of a save, in order (see the protocol above). */
export type CheckpointSaveStep =
  "write-plan" | "write-weights" | "write-optimizer" | "write-manifest" | "retire-current" | "commit" |
  "remove-previous";

export interface SaveCheckpointOptions {
  /** Cancels the save before its commit; the old checkpoint stays. */
  signal?: AbortSignal;
  /**
   * Called before each step. Tests throw from it to stop a save at that point, as a crash
   * would (a failed save cleans nothing up; the next save does).
   * @internal
   */
  beforeStep?: (step: CheckpointSaveStep) => void | Promise<void>;
}

const planFile = "plan.json";
const weightsFile = "weights.safetensors";
const optimizerFile = "optimizer.safetensors";
const manifestFile = "manifest.json";
const dataFiles = [planFile, weightsFile, optimizerFile] as const;
const ownFiles = [...dataFiles, manifestFile];
const manifestFormat = "mixdim-checkpoint";
const manifestVersion = 1;

interface Manifest {
  format: string;
  version: number;
  files: Record<(typeof dataFiles)[number], FileDigest>;
  /** SHA-256 of the JSON of the fields above, so that damage to the manifest is told apart. */
  sha256: string;
}

/**
 * Saves a checkpoint to the directory `dir` (created with its parents), atomically replacing
 * the one there: after a crash at any point, loadCheckpoint returns the old or the new one,
 * whole.
 *
 * @example
 * await saveCheckpoint("runs/criteo/checkpoint", {
 *   plan: { dims: [16, 8, 4] },
 *   state: { step: 12000, rng: random.state() },
 *   weights: { "table.0": { dtype: "F32", shape: [1000, 16], data: table0 } },
 *   optimizer: { "table.0.adagrad": { dtype: "F32", shape: [1000], data: accumulator } },
 * });
 */
export async function saveCheckpoint(dir: string, contents: CheckpointContents,
                                     options: SaveCheckpointOptions = {}): Promise<void> {
  checkDirectoryArgument(dir);
  if (typeof contents !== "object" || contents === null) {
    throw new TypeError(`contents must be an object { plan, state, weights, optimizer }, got ${describe(contents)}`);
  }
  const { signal, beforeStep } = options;
  checkJson(contents.plan, "plan", []);
  checkJson(contents.state, "state", []);
  const planText = new TextEncoder().encode(`${JSON.stringify({ plan: contents.plan, state: contents.state }, null, 2)}\n`);
  const weights = layoutSafetensors(contents.weights, { producer: "mixdim" }, "weights");
  const optimizer = layoutSafetensors(contents.optimizer, { producer: "mixdim" }, "optimizer");

  const target = path.resolve(dir);
  const next = `${target}.next`;
  const previous = `${target}.prev`;
  const parent = path.dirname(target);
  const step = async (name: CheckpointSaveStep) => {
    signal?.throwIfAborted();
    await beforeStep?.(name);
  };

  signal?.throwIfAborted();
  await refuseForeignFiles(target);
  await mkdir(parent, { recursive: true });
  await removeCheckpointDirectory(next);
  await mkdir(next);

  await step("write-plan");
  const plan = await writeFileAtomically(path.join(next, planFile), (sink) => sink.write(planText));
  await step("write-weights");
  const weightsDigest = await writeSafetensorsLayout(path.join(next, weightsFile), weights);
  await step("write-optimizer");
  const optimizerDigest = await writeSafetensorsLayout(path.join(next, optimizerFile), optimizer);
  await step("write-manifest");
  const manifestText = new TextEncoder().encode(`${JSON.stringify(sealManifest({
    [planFile]: plan, [weightsFile]: weightsDigest, [optimizerFile]: optimizerDigest,
  }), null, 2)}\n`);
  await writeFileAtomically(path.join(next, manifestFile), (sink) => sink.write(manifestText));
  await syncDirectory(next);

  await step("retire-current");
  if (await exists(target)) {
    await removeCheckpointDirectory(previous);
    await rename(target, previous);
  }
  await step("commit");
  await rename(next, target);
  await syncDirectory(parent);
  await beforeStep?.("remove-previous");
  await removeCheckpointDirectory(previous).catch(() => undefined);  // committed; the next save retries
}

/**
 * Loads the checkpoint in `dir` (or, after a crash mid-save, the one the protocol kept),
 * verifying every file against the manifest first.
 */
export async function loadCheckpoint(dir: string): Promise<CheckpointContents> {
  checkDirectoryArgument(dir);
  const target = path.resolve(dir);
  const previous = `${target}.prev`;
  if (await exists(target)) {
    try {
      return await loadDirectory(target);
    } catch (error) {
      if (error instanceof CheckpointError && await loadDirectory(previous).then(() => true, () => false)) {
        throw new CheckpointError(error.path, `${error.message}. The previous checkpoint, ${previous}, is ` +
                                              "intact: loadCheckpoint can load it by that path", { cause: error });
      }
      throw error;
    }
  }
  if (await exists(previous)) return loadDirectory(previous);
  const unfinished = await exists(`${target}.next`) ? `; ${target}.next is a save that never committed` : "";
  throw new CheckpointError(target, `there is no checkpoint at ${target}${unfinished}`);
}

/** Whether `dir` holds a committed checkpoint (possibly kept as `<dir>.prev`); nothing is verified. */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  checkDirectoryArgument(dir);
  const target = path.resolve(dir);
  if (await exists(target)) return exists(path.join(target, manifestFile));
  return exists(path.join(`${target}.prev`, manifestFile));
}

function checkDirectoryArgument(dir: unknown): void {
  if (typeof dir !== "string") throw new TypeError(`dir must be a path string, got ${describe(dir)}`);
  if (dir === "") throw new RangeError("dir must not be empty");
}

async function loadDirectory(directory: string): Promise<CheckpointContents> {
  const manifest = await readManifest(directory);
  for (const name of dataFiles) await verifyFile(path.join(directory, name), manifest.files[name]);

  const planPath = path.join(directory, planFile);
  let saved: unknown;
  try {
    saved = JSON.parse(await readFile(planPath, "utf8"));
  } catch (error) {
    throw new CheckpointError(planPath, `${planPath} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof saved !== "object" || saved === null || !("plan" in saved) || !("state" in saved)) {
    throw new CheckpointError(planPath, `${planPath} does not hold { plan, state }`);
  }
  const weights = await readSafetensors(path.join(directory, weightsFile));
  const optimizer = await readSafetensors(path.join(directory, optimizerFile));
  return { plan: saved.plan, state: saved.state, weights: weights.tensors, optimizer: optimizer.tensors };
}

function manifestChecksum(fields: Omit<Manifest, "sha256">): string {
  const files = Object.fromEntries(dataFiles.map((name) => {
    const digest = fields.files[name] as Partial<FileDigest> | undefined;
    return [name, { bytes: digest?.bytes, sha256: digest?.sha256 }];
  }));
  return createHash("sha256").update(JSON.stringify({ format: fields.format, version: fields.version, files }))
    .digest("hex");
}

function sealManifest(files: Manifest["files"]): Manifest {
  const fields = { format: manifestFormat, version: manifestVersion, files };
  return { ...fields, sha256: manifestChecksum(fields) };
}

async function readManifest(directory: string): Promise<Manifest> {
  const manifestPath = path.join(directory, manifestFile);
  let text: string;
  try {
    text = await readFile(manifestPath, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new CheckpointError(manifestPath, missing
      ? `${directory} is not a complete checkpoint: it has no ${manifestFile}`
      : `cannot read ${manifestPath}: ${(error as Error).message}`, { cause: error });
  }
  // The checksum comes first, so that any damage reads as damage; later manifest versions
  // must keep this checksum (over format, version and files) to be told apart.
  const corrupted = () => new CheckpointError(manifestPath, `${manifestPath} is corrupted: it fails its own checksum`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    throw corrupted();
  }
  if (typeof manifest !== "object" || manifest === null || typeof manifest.files !== "object" ||
      manifest.files === null || manifestChecksum(manifest) !== manifest.sha256) {
    throw corrupted();
  }
  if (manifest.format !== manifestFormat || manifest.version !== manifestVersion) {
    throw new CheckpointError(manifestPath, `${manifestPath} is format ${JSON.stringify(manifest.format)} version ` +
                                            `${JSON.stringify(manifest.version)}; this mixdim reads ` +
                                            `${manifestFormat} version ${manifestVersion}`);
  }
  if (!dataFiles.every((name) => isDigest(manifest.files[name]))) throw corrupted();
  return manifest;
}

function isDigest(value: unknown): value is FileDigest {
  if (typeof value !== "object" || value === null) return false;
  const { bytes, sha256 } = value as Record<string, unknown>;
  return Number.isSafeInteger(bytes) && (bytes as number) >= 0 && typeof sha256 === "string";
}

async function verifyFile(file: string, recorded: FileDigest): Promise<void> {
  let bytes: number;
  try {
    bytes = (await stat(file)).size;
  } catch (error) {
    throw new CheckpointError(file, `cannot read ${file}, which the manifest lists: ${(error as Error).message}`,
                              { cause: error });
  }
  if (bytes < recorded.bytes) {
    throw new CheckpointError(file, `${file} is truncated: it holds ${bytes} bytes, the manifest records ${recorded.bytes}`);
  }
  if (bytes > recorded.bytes) {
    throw new CheckpointError(file, `${file} is corrupted: it holds ${bytes} bytes, the manifest records ${recorded.bytes}`);
  }
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  const sha256 = hash.digest("hex");
  if (sha256 !== recorded.sha256) {
    throw new CheckpointError(file, `${file} is corrupted: its SHA-256 is ${sha256}, the manifest records ` +
                                    `${recorded.sha256}`);
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, (error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return false;
    throw error;
  });
}

/** The entries of `directory` that a checkpoint does not own; undefined if it does not exist. */
async function foreignEntries(directory: string): Promise<{ own: string[]; foreign: string[] } | undefined> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ENOTDIR") return { own: [], foreign: [path.basename(directory)] };
    throw error;
  }
  const isOwn = (name: string) => ownFiles.some((file) => name === file || isTemporaryName(name, file));
  return { own: names.filter(isOwn), foreign: names.filter((name) => !isOwn(name)) };
}

/** Refuses to replace a directory (or file) at `target` that holds anything but a checkpoint. */
async function refuseForeignFiles(target: string): Promise<void> {
  const entries = await foreignEntries(target);
  if (entries !== undefined && entries.foreign.length > 0) {
    throw new CheckpointError(target, `${target} is not a checkpoint directory (it holds ` +
                                      `${entries.foreign.slice(0, 3).join(", ")}${entries.foreign.length > 3 ? ", ..." : ""}); ` +
                                      "refusing to replace it");
  }
}

/** Deletes a checkpoint directory, file by known file; one holding anything else is refused. */
async function removeCheckpointDirectory(directory: string): Promise<void> {
  const entries = await foreignEntries(directory);
  if (entries === undefined) return;
  if (entries.foreign.length > 0) {
    throw new CheckpointError(directory, `${directory} holds files that are not part of a checkpoint ` +
                                         `(${entries.foreign.slice(0, 3).join(", ")}); move them away and save again`);
  }
  for (const name of entries.own) await unlink(path.join(directory, name));
  await rmdir(directory);
}

/**
 * Checks that `value` survives JSON unchanged: null, booleans, strings, finite numbers, arrays
 * and plain objects, without cycles. (−0 is stored as 0.)
 */
function checkJson(value: unknown, at: string, ancestors: object[]): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new RangeError(`${at} = ${value} cannot be stored in JSON`);
      return;
    case "object": {
      if (value === null) return;
      if (ancestors.includes(value)) throw new TypeError(`${at} refers back to an object that contains it`);
      const prototype = Object.getPrototypeOf(value) as unknown;
      const inside = [...ancestors, value];
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; ++index) checkJson(value[index], `${at}[${index}]`, inside);
        return;
      }
      if (prototype !== Object.prototype && prototype !== null) {
        throw new TypeError(`${at} is ${describe(value)}; only plain objects, arrays, strings, finite ` +
                            "numbers, booleans and null can be stored in JSON");
      }
      for (const [key, item] of Object.entries(value)) checkJson(item, `${at}${propertyPath(key)}`, inside);
      return;
    }
    default:
      throw new TypeError(`${at} is ${describe(value)}, which cannot be stored in JSON`);
  }
}
