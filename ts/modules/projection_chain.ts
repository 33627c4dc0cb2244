/**
 * ProjectionChain: ESAPN's links W_k: d_k → d_{k+1} (with bias, no nonlinearity) that carry a
 * row from its own size to the largest, so rows of every size meet in one space. link(k, …)
 * applies a single link, which is what enlarging a row from d_k to d_{k+1} writes into it.
 */
import { projectionChain } from "../autograd/ops/projection_chain_op.js";
import type { DeviceOption } from "../backend.js";
import { chainLayout, chainLink, type ChainLayout } from "../ops/projection_chain.js";
import { Tensor } from "../tensor.js";
import { mulberry32 } from "../data/random.js";
import { Variable } from "../autograd/variable.js";
import { Module, type Parameter } from "./module.js";

export interface ProjectionChainOptions {
  /** Candidate sizes, strictly increasing. */
  dims: readonly number[];
  seed?: number;
  device?: DeviceOption;
}

export class ProjectionChain extends Module {
  readonly layout: ChainLayout;
  readonly weights: Variable;
  readonly biases: Variable;

  constructor({ dims, seed = 0, device = "cpu" }: ProjectionChainOptions) {
    super();
    this.layout = chainLayout(dims);
    // Each link starts as nn.Linear(d_k, d_{k+1}) does: U(±1/sqrt(d_k)) for W_k and b_k.
    const random = mulberry32(seed);
    const weights = new Float32Array(this.layout.weightCount);
    const biases = new Float32Array(this.layout.biasCount);
    this.layout.dims.slice(0, -1).forEach((d, k) => {
      const bound = 1 / Math.sqrt(d);
      const next = this.layout.dims[k + 1]!;
      for (let i = 0; i < next * d; ++i) weights[this.layout.weightOffsets[k]! + i] = (random() * 2 - 1) * bound;
      for (let i = 0; i < next; ++i) biases[this.layout.biasOffsets[k]! + i] = (random() * 2 - 1) * bound;
    });
    this.weights = new Variable(Tensor.from(weights, { device }), { requiresGrad: true, name: "weights" });
    this.biases = new Variable(Tensor.from(biases, { device }), { requiresGrad: true, name: "biases" });
  }

  get dims(): readonly number[] {
    return this.layout.dims;
  }

  /** rows [B, R ≥ d_n] padded, each at sizes[b] → [B, d_n]. */
  forward(rows: Variable, sizes: Int32Array): Variable {
    return projectionChain(rows, this.weights, this.biases, this.layout.dims, sizes);
  }

  /** W_k·e + b_k for each row at size d_k (rows at d_n pass unchanged): the values an enlarged row takes. */
  link(rows: Tensor<"float32">, sizes: Int32Array): Tensor<"float32"> {
    return chainLink({ dims: this.layout.dims, weights: this.weights.value, biases: this.biases.value }, rows, sizes);
  }

  protected override ownParameters(): Record<string, Parameter> {
    return { weights: this.weights, biases: this.biases };
  }
}
