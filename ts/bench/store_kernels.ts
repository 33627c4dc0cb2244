/**
 * Times the embedding store's kernels on one device over the benchmark workload: lookup,
 * the non-fused backward (sparseGradient), and the fused backward + optimizer step.
 *
 * Inputs are placed on the device once, and every timed run cycles through the id batches,
 * reusing one preallocated output, so a run times the kernel and the thin TypeScript layer
 * above it, never an upload or an allocation of the output.
 */
import { type Device, EmbeddingStore, Tensor } from "../index.js";
import { lookupBytes, type OptimizerType, sparseGradientBytes, stepBytes } from "./effective_bytes.js";
import { meanShape, type StoreWorkload } from "./store_workload.js";
import { gigabytesPerSecond, timeMedian } from "./timing.js";

export interface KernelTiming {
  medianMs: number;
  runs: number;
  effectiveBytes: number;
  gbPerSecond: number;
}

const learningRates: Record<OptimizerType, number> = { sgd: 0.01, adam: 1e-3, adagrad: 0.01 };

export class StoreKernels {
  readonly device: Device;
  readonly #workload: StoreWorkload;
  readonly #ids: Tensor<"int32">[];
  readonly #gradOut: Tensor<"float32">;
  readonly #out: Tensor<"float32">;
  // Serves lookup and sparseGradient, which do not depend on the optimizer.
  readonly #sgdStore: EmbeddingStore;

  constructor(device: Device, workload: StoreWorkload) {
    this.device = device;
    this.#workload = workload;
    const shape = [workload.options.batch, workload.maxDim];
    this.#ids = workload.idBatches.map((ids) => Tensor.from(ids, { device }));
    this.#gradOut = Tensor.from(workload.gradOut, { shape, device });
    this.#out = Tensor.zeros("float32", shape, device);
    this.#sgdStore = this.createStore("sgd", false);
  }

  lookup(): KernelTiming {
    const store = this.#sgdStore;
    const timing = timeMedian((i) => store.lookup(this.idsFor(i), this.#out));
    return this.withBytes(timing, lookupBytes(meanShape(this.#workload.shapes), this.#workload.maxDim));
  }

  sparseGradient(): KernelTiming {
    const store = this.#sgdStore;
    const timing = timeMedian((i) => store.sparseGradient(this.idsFor(i), this.#gradOut), (gradient) => {
      // On a GPU these are fresh device buffers; freeing them now keeps the runs from piling them up.
      gradient.ids.dispose();
      gradient.values.dispose();
    });
    return this.withBytes(timing, sparseGradientBytes(meanShape(this.#workload.shapes), this.#workload.maxDim));
  }

  step(optimizer: OptimizerType, checkFinite: boolean): KernelTiming {
    const store = optimizer === "sgd" && !checkFinite ? this.#sgdStore : this.createStore(optimizer, checkFinite);
    try {
      const timing = timeMedian((i) => store.step(this.idsFor(i), this.#gradOut));
      return this.withBytes(timing, stepBytes(meanShape(this.#workload.shapes), optimizer));
    } finally {
      if (store !== this.#sgdStore) store.dispose();
    }
  }

  dispose(): void {
    this.#sgdStore.dispose();
    for (const ids of this.#ids) ids.dispose();
    this.#gradOut.dispose();
    this.#out.dispose();
  }

  private createStore(optimizer: OptimizerType, checkFinite: boolean): EmbeddingStore {
    return new EmbeddingStore({
      candidates: this.#workload.options.candidates,
      sizes: this.#workload.sizes,
      device: this.device,
      optimizer: { type: optimizer, learningRate: learningRates[optimizer] },
      seed: this.#workload.options.seed,
      checkFinite,
    });
  }

  private idsFor(run: number): Tensor<"int32"> {
    return this.#ids[run % this.#ids.length]!;
  }

  private withBytes(timing: { medianMs: number; runs: number }, effectiveBytes: number): KernelTiming {
    return { medianMs: timing.medianMs, runs: timing.runs, effectiveBytes,
             gbPerSecond: gigabytesPerSecond(effectiveBytes, timing.medianMs) };
  }
}
