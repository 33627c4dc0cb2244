/**
 * The embedding store's kernels on one device over the benchmark workload: lookup, the non-fused
 * backward (sparseGradient), the fused backward + optimizer step, and resize, each as a run with its
 * effective bytes, timed by kernels.json's benchmark (device_bench.ts) and by the kernel table alike.
 *
 * Inputs are placed on the device once, and every run cycles through the id batches, reusing one
 * preallocated output, so a run times the kernel and the thin TypeScript layer above it, never an
 * upload or an allocation of the output.
 */
import { type Device, EmbeddingStore, Tensor } from "../index.js";
import { lookupBytes, type OptimizerType, resizeBytes, sparseGradientBytes, stepBytes } from "./effective_bytes.js";
import type { KernelRun } from "./kernel_case.js";
import { seededFloats } from "./seeded_floats.js";
import { meanShape, type StoreWorkload } from "./store_workload.js";
import { gigabytesPerSecond, timeMedian, type TimingOptions } from "./timing.js";

export interface StoreKernelRun extends KernelRun {
  effectiveBytes: number;
}

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
  // One store per optimizer setting, made on first use; lookup and sparseGradient use the SGD one.
  readonly #stores = new Map<string, EmbeddingStore>();
  readonly #extraTensors: Tensor[] = [];

  constructor(device: Device, workload: StoreWorkload) {
    this.device = device;
    this.#workload = workload;
    const shape = [workload.options.batch, workload.maxDim];
    this.#ids = workload.idBatches.map((ids) => Tensor.from(ids, { device }));
    this.#gradOut = Tensor.from(workload.gradOut, { shape, device });
    this.#out = Tensor.zeros("float32", shape, device);
  }

  lookup(): StoreKernelRun {
    const store = this.store("sgd", false);
    return { run: (i) => store.lookup(this.idsFor(i), this.#out),
             effectiveBytes: lookupBytes(meanShape(this.#workload.shapes), this.#workload.maxDim) };
  }

  sparseGradient(): StoreKernelRun {
    const store = this.store("sgd", false);
    return {
      run: (i) => store.sparseGradient(this.idsFor(i), this.#gradOut),
      // On a GPU these are fresh device buffers; freeing them now keeps the runs from piling them up.
      release: (gradient) => {
        const { ids, values } = gradient as ReturnType<EmbeddingStore["sparseGradient"]>;
        ids.dispose();
        values.dispose();
      },
      effectiveBytes: sparseGradientBytes(meanShape(this.#workload.shapes), this.#workload.maxDim),
    };
  }

  step(optimizer: OptimizerType, checkFinite: boolean): StoreKernelRun {
    const store = this.store(optimizer, checkFinite);
    return { run: (i) => store.step(this.idsFor(i), this.#gradOut),
             effectiveBytes: stepBytes(meanShape(this.#workload.shapes), optimizer) };
  }

  /**
   * ESAPN's enlarge and its undoing in one run: `count` rows at the smallest size grow to the next
   * with given values (as a projection-chain enlarge does), then shrink back by truncation, so
   * every run starts from the same sizes. On an SGD store of its own: weights only move.
   */
  resize(count: number): StoreKernelRun {
    const { candidates } = this.#workload.options;
    const [small, large] = [candidates[0]!, candidates[1]!];
    const ids: number[] = [];
    for (let id = 0; id < this.#workload.sizes.length && ids.length < count; ++id) {
      if (this.#workload.sizes[id] === small) ids.push(id);
    }
    const idArray = Int32Array.from(ids);
    const grown = new Int32Array(ids.length).fill(large);
    const shrunk = new Int32Array(ids.length).fill(small);
    const init = Tensor.from(seededFloats(ids.length * this.#workload.maxDim, 11, 0.01),
                             { shape: [ids.length, this.#workload.maxDim], device: this.device });
    this.#extraTensors.push(init);
    const store = this.store("sgd", false, "resize");
    return {
      run: () => {
        store.resize(idArray, grown, init);
        store.resize(idArray, shrunk);
      },
      effectiveBytes: resizeBytes(ids.length, small, large, true) + resizeBytes(ids.length, large, small, false),
    };
  }

  dispose(): void {
    for (const store of this.#stores.values()) store.dispose();
    for (const tensor of [...this.#ids, ...this.#extraTensors, this.#gradOut, this.#out]) tensor.dispose();
  }

  private store(optimizer: OptimizerType, checkFinite: boolean, purpose = "kernels"): EmbeddingStore {
    const key = `${purpose} ${optimizer} ${String(checkFinite)}`;
    let store = this.#stores.get(key);
    if (store === undefined) {
      store = new EmbeddingStore({
        candidates: this.#workload.options.candidates,
        sizes: this.#workload.sizes,
        device: this.device,
        optimizer: { type: optimizer, learningRate: learningRates[optimizer] },
        seed: this.#workload.options.seed,
        checkFinite,
      });
      this.#stores.set(key, store);
    }
    return store;
  }

  private idsFor(run: number): Tensor<"int32"> {
    return this.#ids[run % this.#ids.length]!;
  }
}

/** Times a store kernel at the current thread count. */
export function timeStoreKernel(kernel: StoreKernelRun, timing: TimingOptions): KernelTiming {
  const timed = timeMedian(kernel.run, kernel.release, timing);
  return { medianMs: timed.medianMs, runs: timed.runs, effectiveBytes: kernel.effectiveBytes,
           gbPerSecond: gigabytesPerSecond(kernel.effectiveBytes, timed.medianMs) };
}
