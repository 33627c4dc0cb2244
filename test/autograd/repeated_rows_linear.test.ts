/**
 * repeatedRowsLinear is linear() computed once per distinct id for blocks whose rows repeat: its
 * output and every gradient match a float64 reference of x·W + b, whichever blocks repeat; bad
 * blocks are errors; and inside MlpRecommender it gives the plain layer's logits and gradients.
 */
import { describe, expect, it } from "vitest";
import { Tensor } from "mixdim";
import { backward } from "../../ts/autograd/tape.js";
import { Variable } from "../../ts/autograd/variable.js";
import { repeatedRowsLinear, type RowBlock } from "../../ts/autograd/ops/repeated_rows_linear_op.js";
import { MlpRecommender } from "../../ts/models/mlp_recommender.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";
import { maxRelativeError } from "../support/reference_store.js";

/** Ids for a batch: `distinct` different ids, each sample drawing one. */
function idsOf(random: () => number, batch: number, distinct: number): Int32Array {
  return Int32Array.from({ length: batch }, () => 1000 + randomInt(random, 0, distinct));
}

/** x [batch, Σ widths] whose block k is the same row wherever its id repeats. */
function blockInput(random: () => number, blocks: RowBlock[]): Float32Array {
  const columns = blocks.reduce((sum, block) => sum + block.width, 0);
  const batch = blocks[0]!.ids.length;
  const x = new Float32Array(batch * columns);
  let start = 0;
  for (const block of blocks) {
    const rows = new Map<number, Float32Array>();
    for (let b = 0; b < batch; ++b) {
      const id = block.ids[b]!;
      if (!rows.has(id)) rows.set(id, randomFloats(random, block.width));
      x.set(rows.get(id)!, b * columns + start);
    }
    start += block.width;
  }
  return x;
}

/** y = x·W + b and, for upstream dy, dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ dy, in float64. */
function reference(x: Float32Array, w: Float32Array, bias: Float32Array, dy: Float32Array, batch: number, columns: number,
                   outputs: number) {
  const y = new Float64Array(batch * outputs);
  const dx = new Float64Array(batch * columns);
  const dw = new Float64Array(columns * outputs);
  const db = new Float64Array(outputs);
  for (let b = 0; b < batch; ++b) {
    for (let j = 0; j < outputs; ++j) {
      let sum = bias[j]!;
      for (let k = 0; k < columns; ++k) sum += x[b * columns + k]! * w[k * outputs + j]!;
      y[b * outputs + j] = sum;
      db[j]! += dy[b * outputs + j]!;
      for (let k = 0; k < columns; ++k) {
        dx[b * columns + k]! += dy[b * outputs + j]! * w[k * outputs + j]!;
        dw[k * outputs + j]! += x[b * columns + k]! * dy[b * outputs + j]!;
      }
    }
  }
  return { y, dx, dw, db };
}

/**
 * Runs the op on blocks with these distinct-id counts against the reference; returns the op it
 * recorded. With perId, a repeated block's dx must hold each id's summed reference gradient on its
 * first sample and zero on the others.
 */
function check(label: string, distinctPerBlock: number[], perId = false): string {
  const random = rng(testSeed(label));
  const batch = 96;
  const outputs = 7;
  const blocks = distinctPerBlock.map((distinct, k) => ({ width: 5 + 3 * k, ids: idsOf(random, batch, distinct) }));
  const columns = blocks.reduce((sum, block) => sum + block.width, 0);
  const xs = blockInput(random, blocks);
  const ws = randomFloats(random, columns * outputs);
  const bs = randomFloats(random, outputs);
  const dys = randomFloats(random, batch * outputs);
  const x = new Variable(Tensor.from(xs, { shape: [batch, columns] }), { requiresGrad: true });
  const w = new Variable(Tensor.from(ws, { shape: [columns, outputs] }), { requiresGrad: true });
  const b = new Variable(Tensor.from(bs), { requiresGrad: true });
  const y = repeatedRowsLinear(x, w, b, blocks, perId ? { inputGradient: "perId" } : {});
  backward(y, Tensor.from(dys, { shape: [batch, outputs] }));
  const expected = reference(xs, ws, bs, dys, batch, columns, outputs);
  if (perId) {
    let start = 0;
    for (const block of blocks) {
      if (new Set(block.ids).size <= batch / 4) {
        const seen = new Map<number, number>();
        for (let b = 0; b < batch; ++b) {
          const first = seen.get(block.ids[b]!);
          for (let j = start; j < start + block.width; ++j) {
            if (first === undefined) continue;
            expected.dx[first * columns + j]! += expected.dx[b * columns + j]!;
            expected.dx[b * columns + j] = 0;
          }
          if (first === undefined) seen.set(block.ids[b]!, b);
        }
      }
      start += block.width;
    }
  }
  expect(maxRelativeError(y.value.toArray(), expected.y)).toBeLessThan(1e-5);
  expect(maxRelativeError(x.grad!.toArray(), expected.dx)).toBeLessThan(1e-5);
  expect(maxRelativeError(w.grad!.toArray(), expected.dw)).toBeLessThan(1e-5);
  expect(maxRelativeError(b.grad!.toArray(), expected.db)).toBeLessThan(1e-5);
  return y.creator!.op;
}

describe("repeatedRowsLinear", () => {
  it("matches x·W + b and its gradients when one block repeats (3 distinct ids in 96) and one does not", () => {
    expect(check("repeated rows: one block repeats", [3, 96])).toBe("repeatedRowsLinear");
  });

  it("matches when every block repeats, and when none does (the plain linear path)", () => {
    expect(check("repeated rows: all repeat", [2, 11, 24])).toBe("repeatedRowsLinear");
    expect(check("repeated rows: none repeats", [80, 96])).toBe("linear");
  });

  it("with inputGradient perId, puts each id's summed gradient on its first sample", () => {
    expect(check("repeated rows: per-id gradient", [3, 96], true)).toBe("repeatedRowsLinear");
    expect(check("repeated rows: per-id gradient, all repeat", [5, 20], true)).toBe("repeatedRowsLinear");
  });

  it("rejects blocks that do not fit x", () => {
    const x = new Variable(Tensor.from(new Float32Array(12), { shape: [3, 4] }));
    const w = new Variable(Tensor.from(new Float32Array(8), { shape: [4, 2] }));
    const b = new Variable(Tensor.from(new Float32Array(2)));
    const ids = new Int32Array(3);
    expect(() => repeatedRowsLinear(x, w, b, [{ width: 3, ids }])).toThrow(/widths sum to 3 but x has 4 columns/);
    expect(() => repeatedRowsLinear(x, w, b, [{ width: 4, ids: new Int32Array(2) }])).toThrow(/blocks\[0\]\.ids has length 2 but x has 3 rows/);
    expect(() => repeatedRowsLinear(x, w, b, [{ width: 4, ids: [0, 0, 0] as unknown as Int32Array }])).toThrow(TypeError);
    expect(() => repeatedRowsLinear(x, w, b, [{ width: 0, ids }, { width: 4, ids }])).toThrow(/blocks\[0\]\.width must be a positive integer/);
    expect(() => repeatedRowsLinear(x, w, b, [])).toThrow(TypeError);
    expect(() => repeatedRowsLinear(x, w, b, [{ width: 4, ids }], { inputGradient: "sum" as "perId" })).toThrow(/inputGradient/);
  });

  it("gives MlpRecommender the plain hidden layer's logits and every parameter's gradient", () => {
    const random = rng(testSeed("repeated rows in the recommender"));
    const candidates = [2, 4, 8, 16];
    const sizes = (n: number) => Int32Array.from({ length: n }, () => candidates[randomInt(random, 0, 4)]!);
    const plan = { candidates, tables: { users: sizes(40), items: sizes(300) } };
    const batch = 200;
    const users = Int32Array.from({ length: batch }, () => randomInt(random, 0, 6));  // 6 distinct users: repeated
    const items = Int32Array.from({ length: batch }, () => randomInt(random, 0, 300));
    const labels = randomFloats(random, batch);
    // Int32Array ids take repeatedRowsLinear; the same ids as tensors take the plain Linear.
    const run = (asTensors: boolean) => {
      const model = new MlpRecommender({ plan, outputs: 1, hidden: 24, seed: 5, initStd: 0.3 });
      const logits = asTensors ? model.forward(Tensor.from(users), Tensor.from(items)) : model.forward(users, items);
      backward(logits, Tensor.from(labels, { shape: [batch, 1] }));
      const dense = Object.fromEntries(model.namedParameters().flatMap(([name, parameter]) =>
        parameter instanceof Variable ? [[name, parameter.grad!.toArray()]] : []));
      // The tables' row gradients, summed per id.
      const perId = (embedding: MlpRecommender["users"]["embedding"]) => {
        const { ids, grad } = embedding.weight.gradient()!;
        const width = embedding.maxDim;
        const sums = new Float64Array(embedding.numRows * width);
        ids.toArray().forEach((id, row) => {
          for (let j = 0; j < width; ++j) sums[id * width + j]! += grad.toArray()[row * width + j]!;
        });
        return sums;
      };
      return { logits: logits.value.toArray(), dense, users: perId(model.users.embedding), items: perId(model.items.embedding) };
    };
    const repeated = run(false);
    const plain = run(true);
    expect(maxRelativeError(repeated.logits, plain.logits)).toBeLessThan(1e-5);
    expect(Object.keys(repeated.dense).length).toBeGreaterThan(8);
    for (const [name, grad] of Object.entries(plain.dense)) {
      expect(maxRelativeError(repeated.dense[name]!, grad), name).toBeLessThan(1e-4);
    }
    expect(maxRelativeError(repeated.users, plain.users)).toBeLessThan(1e-4);
    expect(maxRelativeError(repeated.items, plain.items)).toBeLessThan(1e-4);
  });
});
