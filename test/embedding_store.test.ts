import { afterEach, describe, expect, it } from "vitest";
import { EmbeddingStore, setThreads, backend, type SparseOptimizerOptions } from "mixdim";
import { maxRelativeError, ReferenceStore, type ReferenceOptimizer } from "./support/reference_store.js";
import { initialRow, portableCos2pi, portableLog, uniformOpen } from "./support/philox.js";
import { pick, randomFloats, randomInt, rng, testSeed } from "./support/random.js";

const candidates = [2, 4, 8, 16, 64, 128];
const maxDim = 128;
const defaultThreads = backend().threads;

afterEach(() => setThreads(defaultThreads));

/** The spacing of doubles at x. */
function ulp(x: number): number {
  return x === 0 ? Number.MIN_VALUE : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
}

function referenceOptimizer(options: SparseOptimizerOptions): ReferenceOptimizer {
  return {
    type: options.type,
    learningRate: options.learningRate ?? 0.01,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    eps: options.eps ?? 1e-8,
    weightDecay: options.weightDecay ?? 0,
  };
}

/** A store with random sizes (every class present) and random values, and its float64 twin. */
function makePair(seed: number, numRows: number, optimizer: SparseOptimizerOptions = { type: "sgd" }) {
  const random = rng(seed);
  const sizes = Array.from({ length: numRows }, (_, i) => (i < candidates.length ? candidates[i]! : pick(random, candidates)));
  const store = new EmbeddingStore({ candidates, sizes, optimizer, seed });
  const values = randomFloats(random, numRows * maxDim);
  store.writeRows(sizes.map((_, id) => id), values);
  const reference = new ReferenceStore(maxDim, referenceOptimizer(optimizer));
  reference.setRows(sizes, values);
  return { store, reference, random, sizes };
}

function randomIds(random: () => number, n: number, numRows: number): Int32Array {
  return Int32Array.from({ length: n }, () => randomInt(random, 0, numRows));
}

describe("lookup", () => {
  it("gathers each row at its own size and pads with zeros to maxDim", () => {
    const { store, reference, random } = makePair(testSeed("lookup"), 300);
    for (const n of [1, 7, 1000]) {
      const ids = randomIds(random, n, 300);
      expect(maxRelativeError(store.lookup(ids).toArray(), reference.lookup(ids))).toBe(0);
    }
  });

  it("handles repeated ids, every size class and rows at maxDim in one batch", () => {
    const { store, reference } = makePair(testSeed("lookup repeats"), 50);
    const ids = new Int32Array([5, 5, 0, 1, 2, 3, 4, 5, 5, 0]);
    const out = store.lookup(ids);
    expect(out.shape).toEqual([10, maxDim]);
    expect(maxRelativeError(out.toArray(), reference.lookup(ids))).toBe(0);
  });

  it("returns an empty [0, maxDim] tensor for an empty batch", () => {
    const { store } = makePair(1, 10);
    const out = store.lookup(new Int32Array(0));
    expect(out.shape).toEqual([0, maxDim]);
    expect(out.toArray().length).toBe(0);
  });

  it("reads ids and writes output through subarrays at their byteOffset, touching nothing else", () => {
    const { store, reference } = makePair(testSeed("lookup offsets"), 20);
    const idBuffer = new Int32Array([99, 3, 7, 3, 99]);
    const ids = idBuffer.subarray(1, 4);
    const backing = new Float32Array(5 * maxDim).fill(-7);
    const out = backing.subarray(maxDim, 4 * maxDim);
    store.lookup(ids, out);
    expect(maxRelativeError(out, reference.lookup(ids))).toBe(0);
    expect(backing.subarray(0, maxDim).every((x) => x === -7)).toBe(true);
    expect(backing.subarray(4 * maxDim).every((x) => x === -7)).toBe(true);
  });

  it("keeps ids with shape: [2, 3] ids give a [2, 3, maxDim] output", () => {
    const { store } = makePair(2, 10);
    const out = store.lookup(new Int32Array([1, 2, 3, 4, 5, 6]));
    expect(out.shape).toEqual([6, maxDim]);
  });
});

describe("initialisation", () => {
  it("draws N(0, initStd²) values that depend only on the seed and the id", () => {
    const sizes = new Array(2000).fill(128);
    const a = new EmbeddingStore({ candidates, sizes, seed: 42, initStd: 0.5 });
    const b = new EmbeddingStore({ candidates, sizes: sizes.slice(0, 10), seed: 42, initStd: 0.5 });
    const c = new EmbeddingStore({ candidates, sizes: sizes.slice(0, 10), seed: 43, initStd: 0.5 });
    const ids = Array.from({ length: 10 }, (_, i) => i);
    expect(a.readRows(ids)).toEqual(b.readRows(ids));
    expect(a.readRows(ids)).not.toEqual(c.readRows(ids));
    const all = a.readRows(sizes.map((_, i) => i));
    const mean = all.reduce((s, x) => s + x, 0) / all.length;
    const std = Math.sqrt(all.reduce((s, x) => s + (x - mean) ** 2, 0) / all.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(std).toBeGreaterThan(0.49);
    expect(std).toBeLessThan(0.51);
  });

  it("draws each value as initStd · Philox Box-Muller, bit for bit as the portable-math reference", () => {
    // The same bits on every device: the CUDA tests compare their rows with the CPU's for equality.
    const seed = testSeed("init bits");
    const sizes = [128, 2, 64, 16, 128, 4];
    const store = new EmbeddingStore({ candidates, sizes, seed, initStd: 0.37 });
    const rows = store.readRows(sizes.map((_, id) => id));
    sizes.forEach((size, id) => {
      const expected = new Float32Array(maxDim);
      expected.set(initialRow(seed, id, size, 0.37));
      expect(rows.subarray(id * maxDim, (id + 1) * maxDim)).toEqual(expected);
    });
  });

  it("uses a portable log and cosine within 2 ulp of float64's over the uniform draws' range", () => {
    const random = rng(testSeed("portable math"));
    for (let i = 0; i < 20000; ++i) {
      const u = uniformOpen(Math.floor(random() * 2 ** 32));
      expect(Math.abs(portableLog(u) - Math.log(u))).toBeLessThanOrEqual(2 * ulp(Math.log(u)));
      const cos = Math.cos(2 * Math.PI * u);
      // Near a zero of the cosine, 2πu itself is rounded: compare against the error that rounding allows.
      expect(Math.abs(portableCos2pi(u) - cos)).toBeLessThanOrEqual(2 * ulp(1) * 8);
    }
    for (const [u, cos] of [[0.5, -1], [0.25, 0], [0.125, Math.SQRT1_2], [1 / 3, -0.5]] as const) {
      expect(Math.abs(portableCos2pi(u) - cos)).toBeLessThan(1e-15);
    }
  });

  it("gives rows added later the values they would have had at construction", () => {
    const whole = new EmbeddingStore({ candidates, sizes: [4, 8, 16], seed: 9 });
    const grown = new EmbeddingStore({ candidates, sizes: [4], seed: 9 });
    expect(grown.addRows([8, 16])).toBe(1);
    expect(grown.readRows([0, 1, 2])).toEqual(whole.readRows([0, 1, 2]));
    expect(Array.from(grown.sizes())).toEqual([4, 8, 16]);
  });
});

describe("sparse gradient", () => {
  it("returns the unique ids, increasing, with their gradients summed at their own size", () => {
    const { store, reference, random } = makePair(testSeed("sparse gradient"), 200);
    for (const n of [1, 64, 2000]) {
      const ids = randomIds(random, n, 200);
      const gradOut = randomFloats(random, n * maxDim);
      const { ids: unique, values } = store.sparseGradient(ids, gradOut);
      const expected = reference.sparseGradient(ids, gradOut);
      const expectedIds = [...expected.keys()].sort((x, y) => x - y);
      expect(Array.from(unique.toArray())).toEqual(expectedIds);
      const expectedValues = new Float64Array(expectedIds.length * maxDim);
      expectedIds.forEach((id, s) => expectedValues.set(expected.get(id)!, s * maxDim));
      expect(maxRelativeError(values.toArray(), expectedValues)).toBeLessThan(1e-5);
    }
  });

  it("matches central finite differences of L = Σ lookup(ids) ⊙ R", () => {
    const { store, random, sizes } = makePair(testSeed("finite differences"), 40);
    const ids = randomIds(random, 50, 40);
    const r = randomFloats(random, 50 * maxDim);
    const loss = () => store.lookup(ids).toArray().reduce((s, x, i) => s + x * r[i]!, 0);
    const { ids: unique, values } = store.sparseGradient(ids, r);
    const grads = values.toArray();
    const h = 1e-2;
    unique.toArray().forEach((id, s) => {
      for (const j of [0, sizes[id]! - 1]) {
        const row = store.readRows([id]);
        const base = row[j]!;
        row[j] = base + h;
        store.writeRows([id], row);
        const plus = loss();
        row[j] = base - h;
        store.writeRows([id], row);
        const minus = loss();
        row[j] = base;
        store.writeRows([id], row);
        expect((plus - minus) / (2 * h)).toBeCloseTo(grads[s * maxDim + j]!, 2);
      }
    });
  });

  it("gives bit-identical results on 1 and on 2 threads", () => {
    const seed = testSeed("determinism");
    const random = rng(seed);
    const ids = randomIds(random, 5000, 30);
    const gradOut = randomFloats(random, 5000 * maxDim);
    const run = (threads: number) => {
      setThreads(threads);
      const { store } = makePair(seed, 30, { type: "adam", learningRate: 0.01 });
      store.step(ids, gradOut);
      store.step(ids, gradOut);
      return { step: store.readRows(Array.from({ length: 30 }, (_, i) => i)), grad: store.sparseGradient(ids, gradOut).values.toArray() };
    };
    const one = run(1);
    const two = run(2);
    expect(two.step).toEqual(one.step);
    expect(two.grad).toEqual(one.grad);
  });
});

describe("fused optimizer step", () => {
  const optimizers: SparseOptimizerOptions[] = [
    { type: "sgd", learningRate: 0.1, weightDecay: 0.01 },
    { type: "adam", learningRate: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.001 },
    { type: "adagrad", learningRate: 0.05, eps: 1e-6, weightDecay: 0.01 },
  ];
  for (const optimizer of optimizers) {
    it(`${optimizer.type} updates only the touched rows, as the float64 reference does`, () => {
      const { store, reference, random } = makePair(testSeed(`step ${optimizer.type}`), 100, optimizer);
      const untouched = 99;
      const before = store.readRows([untouched]);
      for (let t = 0; t < 5; ++t) {
        const ids = randomIds(random, 300, 99);
        const gradOut = randomFloats(random, 300 * maxDim);
        store.step(ids, gradOut);
        reference.step(ids, gradOut);
      }
      expect(store.stepCount).toBe(5);
      const all = Array.from({ length: 100 }, (_, i) => i);
      expect(maxRelativeError(store.readRows(all), reference.padded())).toBeLessThan(1e-5);
      expect(store.readRows([untouched])).toEqual(before);
    });
  }

  it("switches optimizer: a new type starts from zero state, the same type keeps its moments", () => {
    const seed = testSeed("set optimizer");
    const { store, reference, random } = makePair(seed, 20, { type: "sgd", learningRate: 0.1 });
    const batch = () => ({ ids: randomIds(random, 40, 20), grad: randomFloats(random, 40 * maxDim) });
    const first = batch();
    store.step(first.ids, first.grad);
    reference.step(first.ids, first.grad);
    const adam = { type: "adam", learningRate: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0 } as const;
    store.setOptimizer(adam);
    const switched = new ReferenceStore(maxDim, adam);
    switched.rows = reference.rows;
    switched.setRows(store.sizes(), store.readRows(Array.from({ length: 20 }, (_, i) => i)));
    expect(store.stepCount).toBe(0);
    for (const lr of [0.01, 0.02]) {
      store.setOptimizer({ ...adam, learningRate: lr });
      (switched.optimizer as { learningRate: number }).learningRate = lr;
      const next = batch();
      store.step(next.ids, next.grad);
      switched.step(next.ids, next.grad);
    }
    expect(store.learningRate).toBe(0.02);
    expect(maxRelativeError(store.readRows(Array.from({ length: 20 }, (_, i) => i)), switched.padded())).toBeLessThan(1e-5);
  });

  it("follows a learning-rate change on the next step", () => {
    const { store, reference, random } = makePair(testSeed("learning rate"), 10, { type: "sgd", learningRate: 0.1 });
    const ids = randomIds(random, 20, 10);
    const gradOut = randomFloats(random, 20 * maxDim);
    store.learningRate = 0.5;
    (reference.optimizer as { learningRate: number }).learningRate = 0.5;
    store.step(ids, gradOut);
    reference.step(ids, gradOut);
    expect(maxRelativeError(store.readRows(Array.from({ length: 10 }, (_, i) => i)), reference.padded())).toBeLessThan(1e-6);
  });
});

describe("optimizer state", () => {
  for (const type of ["adam", "adagrad"] as const) {
    it(`${type}: a copy made from rows, state and step count continues bit for bit`, () => {
      const seed = testSeed(`state ${type}`);
      const { store, random, sizes } = makePair(seed, 30, { type, learningRate: 0.01 });
      const ids = Array.from({ length: 30 }, (_, i) => i);
      const batches = Array.from({ length: 4 }, () => ({ ids: randomIds(random, 64, 30), grad: randomFloats(random, 64 * maxDim) }));
      store.step(batches[0]!.ids, batches[0]!.grad);
      store.step(batches[1]!.ids, batches[1]!.grad);
      const copy = new EmbeddingStore({ candidates, sizes, optimizer: { type, learningRate: 0.01 } });
      copy.writeRows(ids, store.readRows(ids));
      for (const field of store.optimizerFields) copy.writeRows(ids, store.readRows(ids, field), field);
      copy.stepCount = store.stepCount;
      for (const batch of batches.slice(2)) {
        store.step(batch.ids, batch.grad);
        copy.step(batch.ids, batch.grad);
      }
      expect(copy.readRows(ids)).toEqual(store.readRows(ids));
    });
  }

  it("has no moments under SGD, and says so", () => {
    const store = new EmbeddingStore({ candidates, sizes: [2] });
    expect(store.optimizerFields).toEqual([]);
    expect(() => store.readRows([0], "moment1")).toThrow("the store's optimizer keeps no moment1");
    expect(() => store.readRows([0], "bias" as "weights")).toThrow(TypeError);
  });
});

describe("resize", () => {
  it("truncates when shrinking, zero-extends when growing, and takes init values when given", () => {
    const { store, reference, random } = makePair(testSeed("resize"), 60, { type: "adam", learningRate: 0.01 });
    const all = Array.from({ length: 60 }, (_, i) => i);
    for (let round = 0; round < 6; ++round) {
      const ids = all.filter(() => random() < 0.4);
      const sizes = ids.map(() => pick(random, candidates));
      const init = round % 2 === 1 ? randomFloats(random, ids.length * maxDim) : undefined;
      store.resize(ids, sizes, init);
      reference.resize(ids, sizes, init);
      const batch = randomIds(random, 200, 60);
      const gradOut = randomFloats(random, 200 * maxDim);
      store.step(batch, gradOut);
      reference.step(batch, gradOut);
      expect(Array.from(store.sizes())).toEqual(reference.rows.map((row) => row.length));
      expect(maxRelativeError(store.readRows(all), reference.padded())).toBeLessThan(1e-5);
    }
  });

  it("grows one size at a time from 2 to 128 and back down without losing the prefix", () => {
    const store = new EmbeddingStore({ candidates, sizes: [2], seed: 5 });
    const first = store.readRows([0]).slice(0, 2);
    for (const size of [...candidates.slice(1), ...candidates.slice(0, -1).reverse()]) {
      store.resize([0], [size]);
      const row = store.readRows([0]);
      expect(Array.from(row.slice(0, 2))).toEqual(Array.from(first));
      expect(row.slice(2).every((x) => x === 0)).toBe(true);
    }
  });

  it("reuses the slot a shrinking row frees", () => {
    const store = new EmbeddingStore({ candidates: [2, 8], sizes: [8, 8, 8, 8, 8, 8, 8, 8, 2, 2, 2, 2, 2, 2, 2, 2] });
    store.resize([0], [2]);
    const afterShrink = store.bytes();
    store.resize([8], [8]);
    expect(store.bytes().weights).toBe(afterShrink.weights);
    expect(store.bytes().rows).toBe(afterShrink.rows + 6 * 4);
  });
});

describe("bytes", () => {
  it("counts exactly: rows, weights, optimizer state and index", () => {
    const sizes = [2, 2, 4, 128, 16, 16, 16];
    const adam = new EmbeddingStore({ candidates, sizes, optimizer: { type: "adam" } });
    const rowBytes = (2 + 2 + 4 + 128 + 16 * 3) * 4;
    // Every class holds exactly its rows; the index has a location per id and an owner per slot.
    expect(adam.bytes()).toEqual({
      rows: rowBytes,
      weights: rowBytes,
      optimizerState: 2 * rowBytes,
      index: 7 * 4 + 7 * 4,
      total: rowBytes * 3 + 56,
    });
    const adagrad = new EmbeddingStore({ candidates, sizes, optimizer: { type: "adagrad" } });
    expect(adagrad.bytes().optimizerState).toBe(7 * 4);
    const sgd = new EmbeddingStore({ candidates, sizes });
    expect(sgd.bytes().optimizerState).toBe(0);
  });

  it("returns to the plan's bytes after shrinking most rows and compacting", () => {
    const store = new EmbeddingStore({ candidates, sizes: new Array(1000).fill(128) });
    const ids = Array.from({ length: 900 }, (_, i) => i);
    store.resize(ids, ids.map(() => 2));
    store.compact();
    const b = store.bytes();
    expect(b.rows).toBe((900 * 2 + 100 * 128) * 4);
    expect(b.weights).toBe(b.rows);
    // Compaction moved rows; their values must have moved with them.
    expect(store.sizes().filter((d) => d === 128).length).toBe(100);
  });

  it("looks up the right rows after addRows then compact, when other stores reuse the freed memory", () => {
    // compact() once trimmed the location table after handing the kernels a pointer into it.
    const store = new EmbeddingStore({ candidates: [2, 4], sizes: new Array(1000).fill(2), seed: 1 });
    store.addRows([2, 2]);
    store.compact();
    // Stores made now take the memory the trimmed table gave back.
    for (let i = 0; i < 8; ++i) new EmbeddingStore({ candidates: [2, 4], sizes: new Array(1002).fill(4), seed: 2 + i });
    const ids = Array.from({ length: 1002 }, (_, i) => i);
    const rows = store.readRows(ids);
    const looked = store.lookup(Int32Array.from(ids)).toArray();
    expect(Array.from(looked.filter((_, k) => k % 4 < 2))).toEqual(Array.from(rows.filter((_, k) => k % 4 < 2)));
  });

  it("compacts by itself once freed slots pass 1/8 of a class", () => {
    const store = new EmbeddingStore({ candidates, sizes: new Array(1024).fill(64), seed: 3 });
    const keep = Array.from({ length: 24 }, (_, i) => 1000 + i);
    const before = store.readRows(keep);
    const ids = Array.from({ length: 512 }, (_, i) => i);
    store.resize(ids, ids.map(() => 4));
    expect(store.bytes().weights).toBe((512 * 64 + 512 * 4) * 4);
    expect(store.readRows(keep)).toEqual(before);
  });
});
