/**
 * Optimizers over a model's parameters: dense Variables step with the dense kernels, and
 * embedding stores step with their own fused row-sparse update (lazy Adam, row-wise Adagrad or
 * SGD), configured by the optimizer that owns them. Only rows that received gradient move.
 */
import { numberInRange } from "../arguments.js";
import { Variable } from "../autograd/variable.js";
import type { SparseOptimizerOptions } from "../embedding_store.js";
import { EmbeddingParameter } from "../modules/embedding_parameter.js";
import type { Parameter } from "../modules/module.js";
import { clipGradNorm } from "../ops/dense_optimizer.js";
import { packStoreField, unpackStoreField } from "../modules/store_packing.js";
import { Tensor } from "../tensor.js";

export interface OptimizerOptions {
  learningRate: number;
  /** L2 weight decay (λ·w added to the gradient). Default 0. */
  weightDecay?: number;
  /** Clip the dense gradients to this global L2 norm before each step (row-sparse gradients are not clipped). */
  maxGradNorm?: number;
}

/** What resuming needs: every state tensor (host copies) and the step counters. */
export interface OptimizerSnapshot {
  /** `dense.<i>.<name>` for dense parameter i; `sparse.<j>.<field>` for embedding store j, rows packed at their sizes. */
  tensors: Record<string, Float32Array>;
  steps: number;
  /** Each embedding store's own step count (its Adam bias correction). */
  storeSteps: number[];
}

export abstract class Optimizer {
  readonly parameters: readonly Parameter[];
  /** Each dense parameter's state tensors by name (momentum, m and v, or sum). */
  protected readonly states = new Map<Variable, Record<string, Tensor<"float32">>>();
  readonly maxGradNorm: number | undefined;
  #learningRate: number;
  /** Steps taken. */
  steps = 0;

  protected constructor(parameters: readonly Parameter[], options: OptimizerOptions) {
    if (!Array.isArray(parameters)) throw new TypeError("parameters must be an Array (e.g. model.parameters())");
    parameters.forEach((p, i) => {
      if (!(p instanceof Variable) && !(p instanceof EmbeddingParameter)) {
        throw new TypeError(`parameters[${i}] is neither a Variable nor an embedding parameter`);
      }
    });
    this.parameters = parameters;
    this.#learningRate = numberInRange(options.learningRate, "learningRate", 0, Infinity, true);
    this.maxGradNorm = options.maxGradNorm === undefined ? undefined : numberInRange(options.maxGradNorm, "maxGradNorm", 0, Infinity, true);
  }

  get learningRate(): number {
    return this.#learningRate;
  }

  /** Takes effect at the next step, for dense parameters and embedding stores alike. */
  set learningRate(value: number) {
    this.#learningRate = numberInRange(value, "learningRate", 0, Infinity, true);
    for (const p of this.sparseParameters()) p.store.learningRate = value;
  }

  protected denseParameters(): Variable[] {
    return this.parameters.filter((p): p is Variable => p instanceof Variable);
  }

  protected sparseParameters(): EmbeddingParameter[] {
    return this.parameters.filter((p): p is EmbeddingParameter => p instanceof EmbeddingParameter);
  }

  /** Puts each embedding store on this optimizer's row-sparse counterpart. */
  protected configureStores(sparse: SparseOptimizerOptions): void {
    for (const p of this.sparseParameters()) p.store.setOptimizer(sparse);
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    this.steps += 1;
    const dense = this.denseParameters().filter((p) => p.grad !== undefined);
    if (this.maxGradNorm !== undefined && dense.length > 0) clipGradNorm(dense.map((p) => p.grad!), this.maxGradNorm);
    dense.forEach((p) => this.denseStep(p, p.grad!));
    for (const p of this.sparseParameters()) {
      const gradient = p.gradient();
      if (gradient !== undefined) p.store.step(gradient.ids, gradient.grad);
    }
  }

  zeroGrad(): void {
    for (const p of this.parameters) p.zeroGrad();
  }

  protected abstract denseStep(parameter: Variable, grad: Tensor<"float32">): void;

  snapshot(): OptimizerSnapshot {
    const tensors: Record<string, Float32Array> = {};
    this.denseParameters().forEach((p, i) => {
      for (const [name, tensor] of Object.entries(this.states.get(p) ?? {})) {
        tensors[`dense.${i}.${name}`] = Float32Array.from(tensor.toArray());
      }
    });
    const sparse = this.sparseParameters();
    sparse.forEach((p, j) => {
      for (const field of p.store.optimizerFields) tensors[`sparse.${j}.${field}`] = packStoreField(p.store, field);
    });
    return { tensors, steps: this.steps, storeSteps: sparse.map((p) => p.store.stepCount) };
  }

  /** Restores a snapshot taken from an optimizer of the same kind over the same parameters. */
  restore(snapshot: OptimizerSnapshot): void {
    this.denseParameters().forEach((p, i) => {
      const prefix = `dense.${i}.`;
      const entries = Object.entries(snapshot.tensors).filter(([name]) => name.startsWith(prefix));
      if (entries.length === 0) return;
      this.states.set(p, Object.fromEntries(entries.map(([name, values]) => {
        if (values.length !== p.value.size) {
          throw new RangeError(`snapshot.tensors["${name}"] has ${values.length} values but the parameter has ${p.value.size}`);
        }
        return [name.slice(prefix.length), Tensor.from(Float32Array.from(values), { shape: p.shape, device: p.device })];
      })));
    });
    this.sparseParameters().forEach((p, j) => {
      for (const field of p.store.optimizerFields) {
        const name = `sparse.${j}.${field}`;
        const values = snapshot.tensors[name];
        if (values === undefined) throw new RangeError(`snapshot.tensors has no "${name}"`);
        unpackStoreField(p.store, values, field, `snapshot.tensors["${name}"]`);
      }
      p.store.stepCount = snapshot.storeSteps[j] ?? 0;
    });
    this.steps = snapshot.steps;
  }
}
