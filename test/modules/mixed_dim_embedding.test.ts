import { describe, expect, it } from "vitest";
import { Tensor } from "mixdim";
import { backward } from "../../ts/autograd/tape.js";
import { times } from "../../ts/autograd/ops/arithmetic_op.js";
import { Variable } from "../../ts/autograd/variable.js";
import { Embedding, MixedDimEmbedding } from "../../ts/modules/mixed_dim_embedding.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";

const candidates = [2, 4, 8, 16, 64, 128];

describe("MixedDimEmbedding", () => {
  it("passes dL/d(rows) of every lookup to its store as a row-sparse gradient", () => {
    const random = rng(testSeed("embedding module"));
    const sizes = Array.from({ length: 40 }, () => candidates[randomInt(random, 0, candidates.length)]!);
    const layer = new MixedDimEmbedding({ candidates, sizes, seed: 3 });
    const idsA = Int32Array.from({ length: 30 }, () => randomInt(random, 0, 40));
    const idsB = Int32Array.from({ length: 20 }, () => randomInt(random, 0, 40));
    const rA = new Variable(Tensor.from(randomFloats(random, 30 * 128), { shape: [30, 128] }));
    const rB = new Variable(Tensor.from(randomFloats(random, 20 * 128), { shape: [20, 128] }));
    // L = Σ rows(idsA) ⊙ R_A + Σ rows(idsB) ⊙ R_B: dL/d(row i) is the sum of the R rows that read i.
    backward(times(layer.forward(idsA), rA), Tensor.from(new Float32Array(30 * 128).fill(1), { shape: [30, 128] }));
    backward(times(layer.forward(idsB), rB), Tensor.from(new Float32Array(20 * 128).fill(1), { shape: [20, 128] }));
    const gradient = layer.weight.gradient()!;
    const expected = layer.store.sparseGradient(
      Int32Array.from([...idsA, ...idsB]),
      Float32Array.from([...rA.value.toArray(), ...rB.value.toArray()]),
    );
    const actual = layer.store.sparseGradient(gradient.ids, gradient.grad);
    expect(actual.ids.toArray()).toEqual(expected.ids.toArray());
    expect(actual.values.toArray()).toEqual(expected.values.toArray());
    layer.zeroGrad();
    expect(layer.weight.hasGrad).toBe(false);
  });

  it("round-trips its state, sizes included, into a fresh layer", () => {
    const layer = new MixedDimEmbedding({ candidates, sizes: [2, 128, 16], seed: 5 });
    layer.resize([0], [8]);
    const state = layer.state();
    expect(Array.from(state["weight.sizes"]!)).toEqual([8, 128, 16]);
    expect(state["weight.rows"]!.length).toBe(8 + 128 + 16);
    const fresh = new MixedDimEmbedding({ candidates, sizes: [2], seed: 9 });
    fresh.load(state);
    expect(fresh.sizes()).toEqual(layer.sizes());
    expect(fresh.store.readRows([0, 1, 2])).toEqual(layer.store.readRows([0, 1, 2]));
  });

  it("Embedding is the fixed-size case", () => {
    const table = new Embedding({ numRows: 5, dim: 8, seed: 1 });
    expect(Array.from(table.sizes())).toEqual([8, 8, 8, 8, 8]);
    expect(table.forward([4, 0]).shape).toEqual([2, 8]);
    expect(() => new Embedding({ numRows: -1, dim: 8 })).toThrow(RangeError);
  });
});
