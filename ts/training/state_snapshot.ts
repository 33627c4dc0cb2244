/**
 * A training state held in memory, to be saved and later restored bit for bit: named host
 * tensors (weights, buffers, optimizer moments, per-id tables) beside JSON values (positions,
 * counters, random-stream states). Snapshots nest: a search's holds its model's, its
 * optimizer's and its controllers' under their names, so each piece captures and restores
 * itself and the whole is one flat map of tensors, as a checkpoint file stores it.
 *
 * @example
 * const snapshot = nestSnapshots({ model: moduleSnapshot(model, optimizer) }, { state: { batch: 12 } });
 * // ... later, in a model and optimizer built the same way:
 * restoreModule(snapshotPart(snapshot, "model"), model, optimizer);
 */
import type { Module, ModuleState } from "../modules/module.js";
import type { Optimizer } from "../optim/optimizer.js";

export interface StateSnapshot {
  /** JSON values. Numbers may be NaN or ±Infinity (saveSearchSnapshot keeps them). */
  state: Record<string, unknown>;
  /** Named host tensors. */
  tensors: ModuleState;
}

/**
 * One snapshot of named parts: part `name`'s JSON becomes state[name], its tensor `t` becomes
 * `name.t`. `own` adds values and tensors of the whole (names that no part's prefix claims).
 */
export function nestSnapshots(parts: Record<string, StateSnapshot>, own: Partial<StateSnapshot> = {}): StateSnapshot {
  const state: Record<string, unknown> = { ...own.state };
  const tensors: ModuleState = { ...own.tensors };
  for (const [name, part] of Object.entries(parts)) {
    state[name] = part.state;
    for (const [key, tensor] of Object.entries(part.tensors)) tensors[`${name}.${key}`] = tensor;
  }
  return { state, tensors };
}

/** Part `name` of a snapshot nestSnapshots made. */
export function snapshotPart(snapshot: StateSnapshot, name: string): StateSnapshot {
  const state = snapshot.state[name];
  if (typeof state !== "object" || state === null) throw new RangeError(`the snapshot has no part named "${name}"`);
  const prefix = `${name}.`;
  const tensors: ModuleState = {};
  for (const [key, tensor] of Object.entries(snapshot.tensors)) if (key.startsWith(prefix)) tensors[key.slice(prefix.length)] = tensor;
  return { state: state as Record<string, unknown>, tensors };
}

/** A tensor the snapshot must hold, of the given type. */
export function snapshotTensor<T extends Float32Array | Int32Array>(snapshot: StateSnapshot, name: string,
                                                                    type: { new (n: number): T; name: string }): T {
  const tensor = snapshot.tensors[name];
  if (!(tensor instanceof type)) throw new RangeError(`the snapshot has no ${type.name} named "${name}"`);
  return tensor as T;
}

/** An optimizer's moments, step counts and learning rate (a schedule may have moved it). */
export function optimizerSnapshot(optimizer: Optimizer): StateSnapshot {
  const { tensors, steps, storeSteps } = optimizer.snapshot();
  return { state: { steps, storeSteps, learningRate: optimizer.learningRate }, tensors };
}

/** Restores what optimizerSnapshot captured into an optimizer of the same kind over the same parameters. */
export function restoreOptimizer(snapshot: StateSnapshot, optimizer: Optimizer): void {
  const { steps, storeSteps, learningRate } = snapshot.state as { steps: number; storeSteps: number[]; learningRate: number };
  const tensors: Record<string, Float32Array> = {};
  for (const name of Object.keys(snapshot.tensors)) tensors[name] = snapshotTensor(snapshot, name, Float32Array);
  optimizer.restore({ tensors, steps, storeSteps });
  optimizer.learningRate = learningRate;
}

/** A module's weights and buffers (Module.state()) and, when given, its optimizer's state. */
export function moduleSnapshot(module: Module, optimizer?: Optimizer): StateSnapshot {
  const weights: StateSnapshot = { state: {}, tensors: module.state() };
  return nestSnapshots(optimizer === undefined ? { weights } : { weights, optimizer: optimizerSnapshot(optimizer) });
}

/** Restores what moduleSnapshot captured into a module (and optimizer) built like the saved ones. */
export function restoreModule(snapshot: StateSnapshot, module: Module, optimizer?: Optimizer): void {
  module.load(snapshotPart(snapshot, "weights").tensors);
  if (optimizer !== undefined) restoreOptimizer(snapshotPart(snapshot, "optimizer"), optimizer);
}
