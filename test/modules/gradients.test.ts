/**
 * Every module and loss against finite differences of a scalar loss through it.
 * Batch norm runs in training mode, where its output depends on the whole batch.
 */
import { describe, it } from "vitest";
import { Tensor } from "mixdim";
import { bceWithLogits, bpr, mseSigmoid, softmaxCrossEntropy } from "../../ts/autograd/ops/loss_op.js";
import { sigmoid, tanh } from "../../ts/autograd/ops/activation_op.js";
import { combine } from "../../ts/autograd/ops/arithmetic_op.js";
import { Variable } from "../../ts/autograd/variable.js";
import { BatchNorm } from "../../ts/modules/batch_norm.js";
import { Linear } from "../../ts/modules/linear.js";
import { MLP } from "../../ts/modules/mlp.js";
import { concat } from "../../ts/autograd/ops/concat_op.js";
import { ProjectionChain } from "../../ts/modules/projection_chain.js";
import { checkGradients } from "../support/gradient_check.js";
import { pick, randomFloats, randomInt, rng, testSeed } from "../support/random.js";

const leaf = (values: Float32Array, shape: number[], name: string) =>
  new Variable(Tensor.from(values, { shape }), { requiresGrad: true, name });

describe("gradients match finite differences", () => {
  it("BatchNorm (training) followed by a tanh and a BCE loss", () => {
    const random = rng(testSeed("bn gradient"));
    const bn = new BatchNorm({ features: 5 });
    const x = leaf(randomFloats(random, 8 * 5, 2), [8, 5], "x");
    const labels = Tensor.from(Float32Array.from({ length: 40 }, () => (random() < 0.5 ? 0 : 1)), { shape: [8, 5] });
    // Non-trivial γ, β so their gradients are exercised away from the identity.
    bn.gamma!.value.toArray().set(randomFloats(random, 5));
    bn.beta!.value.toArray().set(randomFloats(random, 5));
    checkGradients(() => bceWithLogits(tanh(bn.forward(x)), labels, "sum"), [x, bn.gamma!, bn.beta!], random, { h: 1e-3 });
  });

  it("BatchNorm with its tanh fused, in training and in eval, followed by a BCE loss", () => {
    const random = rng(testSeed("bn tanh gradient"));
    for (const training of [true, false]) {
      const bn = new BatchNorm({ features: 5, activation: "tanh" });
      if (!training) bn.eval();
      const x = leaf(randomFloats(random, 8 * 5, 2), [8, 5], "x");
      const labels = Tensor.from(Float32Array.from({ length: 40 }, () => (random() < 0.5 ? 0 : 1)), { shape: [8, 5] });
      bn.gamma!.value.toArray().set(randomFloats(random, 5));
      bn.beta!.value.toArray().set(randomFloats(random, 5));
      checkGradients(() => bceWithLogits(bn.forward(x), labels, "sum"), [x, bn.gamma!, bn.beta!], random, { h: 1e-3 });
    }
  });

  it("ProjectionChain over rows of every size", () => {
    const random = rng(testSeed("chain gradient"));
    const dims = [2, 4, 8, 16];
    const chain = new ProjectionChain({ dims, seed: 3 });
    const sizes = Int32Array.from({ length: 12 }, (_, i) => (i < 4 ? dims[i]! : pick(random, dims)));
    const padded = new Float32Array(12 * 16);
    sizes.forEach((d, b) => padded.set(randomFloats(random, d), b * 16));
    const rows = leaf(padded, [12, 16], "rows");
    const target = Tensor.from(Float32Array.from({ length: 12 * 16 }, () => (random() < 0.5 ? 0 : 1)), { shape: [12, 16] });
    checkGradients(() => mseSigmoid(chain.forward(rows, sizes), target, "sum"), [chain.weights, chain.biases], random, { h: 1e-3 });
    // Only the first d_b entries of each row are inputs; sample those.
    checkGradients(() => mseSigmoid(chain.forward(rows, sizes), target, "sum"), [rows], () => {
      const b = randomInt(random, 0, 12);
      return (b * 16 + randomInt(random, 0, sizes[b]!)) / padded.length;
    }, { h: 1e-3 });
  });

  it("Linear, and an MLP with batch norm over a concatenation", () => {
    const random = rng(testSeed("mlp gradient"));
    const layer = new Linear({ inFeatures: 6, outFeatures: 3, seed: 4 });
    const x = leaf(randomFloats(random, 5 * 6), [5, 6], "x");
    const labels = Tensor.from(Int32Array.from({ length: 5 }, () => randomInt(random, 0, 3)));
    checkGradients(() => softmaxCrossEntropy(layer.forward(x), labels), [x, layer.weight, layer.bias!], random, { h: 1e-3 });
    const mlp = new MLP({ sizes: [7, 8, 2], activation: "tanh", batchNorm: true, seed: 2 });
    const a = leaf(randomFloats(random, 6 * 3), [6, 3], "a");
    const b = leaf(randomFloats(random, 6 * 4), [6, 4], "b");
    const targets = Tensor.from(Int32Array.from({ length: 6 }, () => randomInt(random, 0, 2)));
    const parameters = mlp.parameters() as Variable[];
    checkGradients(() => softmaxCrossEntropy(mlp.forward(concat([a, b])), targets), [a, b, ...parameters], random, { h: 1e-3 });
  });

  it("softmax cross-entropy and BPR", () => {
    const random = rng(testSeed("loss gradients"));
    const logits = leaf(randomFloats(random, 6 * 5, 3), [6, 5], "logits");
    const labels = Tensor.from(Int32Array.from({ length: 6 }, () => randomInt(random, 0, 5)));
    checkGradients(() => softmaxCrossEntropy(logits, labels), [logits], random, { h: 1e-3 });
    const pos = leaf(randomFloats(random, 9, 3), [9], "pos");
    const neg = leaf(randomFloats(random, 9, 3), [9], "neg");
    checkGradients(() => bpr(pos, neg), [pos, neg], random, { h: 1e-3 });
  });

  it("an upstream factor scales a loss's gradient (L = 3·mse + 0·…)", () => {
    const random = rng(testSeed("scaled loss"));
    const logits = leaf(randomFloats(random, 7), [7], "logits");
    const labels = Tensor.from(Float32Array.from({ length: 7 }, () => (random() < 0.5 ? 0 : 1)));
    checkGradients(() => {
      const l = mseSigmoid(logits, labels, "mean");
      return combine(3, l, 0, l);
    }, [logits], random, { h: 1e-3 });
    checkGradients(() => bceWithLogits(sigmoid(logits), labels), [logits], random, { h: 1e-3 });
  });
});
