/**
 * Saving and resuming a training run: the model's weights and buffers, the optimizer's state
 * (dense moments and each embedding store's own), the size plan and the trainer's counters, in
 * one atomic checkpoint directory (ts/checkpoint/checkpoint.ts). Resuming on the CPU continues
 * bit for bit.
 */
import { loadCheckpoint, saveCheckpoint } from "../checkpoint/checkpoint.js";
import type { TensorData } from "../checkpoint/safetensors.js";
import type { Module, ModuleState } from "../modules/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { SizePlan } from "../plan/size_plan.js";

export interface TrainingState {
  /** The trainer's own counters and settings; anything JSON can hold. */
  [key: string]: unknown;
}

/** Host tensors as safetensors entries (1-D F32 or I32). */
export function toTensorData(state: Record<string, Float32Array | Int32Array>): Record<string, TensorData> {
  return Object.fromEntries(Object.entries(state).map(([name, data]): [string, TensorData] =>
    [name, data instanceof Int32Array ? { dtype: "I32", shape: [data.length], data } : { dtype: "F32", shape: [data.length], data }]));
}

/** Safetensors entries back as host tensors; only F32 and I32, what mixdim saves. */
export function fromTensorData(tensors: Record<string, TensorData>): ModuleState {
  const state: ModuleState = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    if (!(tensor.data instanceof Float32Array) && !(tensor.data instanceof Int32Array)) {
      throw new TypeError(`checkpoint tensor ${name} is ${tensor.dtype}; mixdim saves only F32 and I32`);
    }
    state[name] = tensor.data;
  }
  return state;
}

export async function saveTraining(dir: string, run: { model: Module; optimizer: Optimizer; plan?: SizePlan; state?: TrainingState }): Promise<void> {
  const snapshot = run.optimizer.snapshot();
  const plan = run.plan === undefined ? null : {
    candidates: run.plan.candidates,
    tables: Object.fromEntries(Object.entries(run.plan.tables).map(([name, sizes]) => [name, Array.from(sizes)])),
  };
  await saveCheckpoint(dir, {
    plan,
    state: { trainer: run.state ?? {}, optimizerSteps: snapshot.steps, storeSteps: snapshot.storeSteps },
    weights: toTensorData(run.model.state()),
    optimizer: toTensorData(snapshot.tensors),
  });
}

/** Loads a checkpoint into a model and optimizer built like the saved ones; returns the trainer's state. */
export async function loadTraining(dir: string, run: { model: Module; optimizer: Optimizer }): Promise<TrainingState> {
  const contents = await loadCheckpoint(dir);
  const saved = contents.state as { trainer: TrainingState; optimizerSteps: number; storeSteps: number[] };
  run.model.load(fromTensorData(contents.weights));
  run.optimizer.restore({
    tensors: fromTensorData(contents.optimizer) as Record<string, Float32Array>,
    steps: saved.optimizerSteps,
    storeSteps: saved.storeSteps,
  });
  return saved.trainer;
}
