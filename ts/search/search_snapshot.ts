/**
 * Search snapshots (SearchOptions.checkpoint) beyond the methods' own state: what identifies
 * the search they belong to, the snapshot of a search that has finished, and their form on
 * disk, one checkpoint directory (ts/checkpoint/checkpoint.ts, replaced atomically):
 *
 *   plan.json             { "plan": null, "state": { "trainer": <the caller's JSON>,
 *                           "search": { method, fingerprint, history, state } } }
 *   weights.safetensors   the snapshot's tensors
 *
 * JSON has no NaN or Infinity, which running sums and metrics may hold, so on disk a
 * non-finite number is written as { "nonFinite": "NaN" | "Infinity" | "-Infinity" }.
 *
 * @example
 * await search({ ...options, signal, checkpoint: { save: (snapshot) => saveSearchSnapshot("run/checkpoint", snapshot) } });
 * // after the abort, possibly in another process:
 * await search({ ...options, checkpoint: { save: ..., resume: await loadSearchSnapshot("run/checkpoint") } });
 */
import { createHash } from "node:crypto";

import { loadCheckpoint, saveCheckpoint, type CheckpointContents } from "../checkpoint/checkpoint.js";
import { CheckpointError } from "../checkpoint/checkpoint_error.js";
import type { SizePlan } from "../plan/size_plan.js";
import { snapshotTensor, type StateSnapshot } from "../training/state_snapshot.js";
import { fromTensorData, toTensorData } from "../training/training_checkpoint.js";
import type { SearchOutcome } from "./search_context.js";
import type { SearchData, SearchSnapshot } from "./search_types.js";

/** What makes two searches the same search: the SHA-256 of their inputs, data columns included. */
export function searchFingerprint(search: { method: string; task: string; candidates: readonly number[]; seed: number;
                                            budgetBytes: number | undefined; settings: Record<string, unknown>; data: SearchData }): string {
  const { data } = search;
  const settings = Object.fromEntries(Object.entries(search.settings).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const hash = createHash("sha256").update(JSON.stringify({
    method: search.method, task: search.task, candidates: search.candidates, seed: search.seed,
    budgetBytes: search.budgetBytes ?? null, settings, numUsers: data.numUsers, numItems: data.numItems,
  }));
  for (const column of [data.users, data.items, data.ratings, data.timestamps, data.fields?.values, data.fields?.clicks]) {
    if (column !== undefined) hash.update(new Uint8Array(column.buffer, column.byteOffset, column.byteLength));
  }
  return hash.digest("hex");
}

/** The snapshot of a method that has returned: its outcome, all a resume needs. */
export function finishedSnapshot(outcome: SearchOutcome): StateSnapshot {
  const tensors: StateSnapshot["tensors"] = {};
  for (const [name, sizes] of Object.entries(outcome.plan.tables)) tensors[`plan.${name}`] = Int32Array.from(sizes);
  return {
    state: { finished: { candidates: [...outcome.plan.candidates], tables: Object.keys(outcome.plan.tables),
                         searchMetrics: outcome.searchMetrics, peakSearchBytes: outcome.peakSearchBytes,
                         ...(outcome.planMetrics === undefined ? {} : { planMetrics: outcome.planMetrics }) } },
    tensors,
  };
}

/** The outcome a finishedSnapshot holds, or undefined for a method's own (unfinished) state. */
export function finishedOutcome(snapshot: StateSnapshot): SearchOutcome | undefined {
  const finished = snapshot.state.finished as (Omit<SearchOutcome, "plan"> & { candidates: number[]; tables: string[] }) | undefined;
  if (finished === undefined) return undefined;
  const plan: SizePlan = {
    candidates: finished.candidates,
    tables: Object.fromEntries(finished.tables.map((name) => [name, snapshotTensor(snapshot, `plan.${name}`, Int32Array)])),
  };
  return {
    plan, searchMetrics: { ...finished.searchMetrics }, peakSearchBytes: finished.peakSearchBytes,
    ...(finished.planMetrics === undefined ? {} : { planMetrics: { ...finished.planMetrics } }),
  };
}

/**
 * Writes a snapshot to the checkpoint directory `dir`, replacing the one there atomically.
 * `trainer` is the caller's own JSON, kept beside it (the CLI keeps its command's settings there).
 */
export async function saveSearchSnapshot(dir: string, snapshot: SearchSnapshot, trainer: Record<string, unknown> = {}): Promise<void> {
  const { method, fingerprint, history, state } = snapshot;
  await saveCheckpoint(dir, {
    plan: null,
    state: { trainer, search: encodeNonFinite({ method, fingerprint, history, state }) },
    weights: toTensorData(snapshot.tensors),
    optimizer: {},
  });
}

/** Reads the snapshot saveSearchSnapshot wrote to `dir`. */
export async function loadSearchSnapshot(dir: string): Promise<SearchSnapshot> {
  const snapshot = searchSnapshotOf(await loadCheckpoint(dir));
  if (snapshot === undefined) throw new CheckpointError(dir, `${dir} holds no search snapshot (saveSearchSnapshot writes one)`);
  return snapshot;
}

/** The search snapshot in a loaded checkpoint, if it holds one. */
export function searchSnapshotOf(contents: CheckpointContents): SearchSnapshot | undefined {
  const saved = (contents.state as { search?: unknown } | null)?.search;
  if (typeof saved !== "object" || saved === null) return undefined;
  const { method, fingerprint, history, state } = decodeNonFinite(saved) as Omit<SearchSnapshot, "tensors">;
  return { method, fingerprint, history, state, tensors: fromTensorData(contents.weights) };
}

function encodeNonFinite(value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : { nonFinite: String(value) };
  // As JSON.stringify: an undefined property is left out, an undefined element is null.
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : encodeNonFinite(item)));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)
      .map(([key, item]) => [key, encodeNonFinite(item)]));
  }
  return value;
}

function decodeNonFinite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeNonFinite);
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]![0] === "nonFinite") return Number(entries[0]![1]);
  return Object.fromEntries(entries.map(([key, item]) => [key, decodeNonFinite(item)]));
}
