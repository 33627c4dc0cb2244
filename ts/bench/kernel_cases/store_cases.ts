/**
 * The embedding store's kernels (store_kernels.ts) as rows of the kernel table: lookup (the
 * forward), sparseGradient and the fused step with each optimizer (the backward), and resize,
 * over the store workload of the profile (about 10^6 rows, Zipf ids, sizes by frequency).
 */
import type { Device } from "../../backend.js";
import type { KernelTableProfile } from "../bench_profile.js";
import type { OptimizerType } from "../effective_bytes.js";
import type { KernelCase, KernelGroup } from "../kernel_case.js";
import { StoreKernels } from "../store_kernels.js";
import { buildWorkload } from "../store_workload.js";

const optimizers: readonly OptimizerType[] = ["sgd", "adam", "adagrad"];

export function storeCases(device: Device, profile: KernelTableProfile): KernelGroup {
  const workload = buildWorkload(profile.store);
  const kernels = new StoreKernels(device, workload);
  const { rows, batch, candidates } = workload.options;
  const shape = `${rows} rows, batch ${batch}`;
  const cases: KernelCase[] = [
    { op: "EmbeddingStore.lookup", label: "lookup (padded to d_max)", shape, pass: "forward", bound: "bandwidth",
      ...kernels.lookup() },
    { op: "EmbeddingStore.sparseGradient", label: "sparseGradient (unique ids, summed rows)", shape, pass: "backward",
      bound: "bandwidth", ...kernels.sparseGradient() },
    ...optimizers.map((optimizer): KernelCase => ({
      op: "EmbeddingStore.step", label: `step ${optimizer} (fused backward + update)`, shape, pass: "backward",
      bound: "bandwidth", ...kernels.step(optimizer, false),
    })),
    { op: "EmbeddingStore.resize", label: `resize ${candidates[0]!}→${candidates[1]!} with values, then back`,
      shape: `${profile.resizedRows} rows of ${rows}`, pass: "update", bound: "bandwidth",
      ...kernels.resize(profile.resizedRows) },
  ];
  return { family: "embedding store", cases, dispose: () => kernels.dispose() };
}
