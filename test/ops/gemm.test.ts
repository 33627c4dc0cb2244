import { afterAll, describe, expect, it } from "vitest";
import { backend, setThreads } from "../../ts/backend.js";
import { native } from "../../ts/native.js";
import { biasGradient, cpuGemm, matmul, matmulGradients, setCpuGemm } from "../../ts/ops/gemm.js";
import { Tensor } from "../../ts/tensor.js";
import { randomFloats, randomInt, rng, testSeed } from "../support/random.js";
import { maxRelativeError } from "../support/reference_store.js";

const addon = native;
const initial = cpuGemm();
const initialThreads = backend().threads;
afterAll(() => {
  setCpuGemm({ backend: initial.backend, kernel: initial.kernel });
  setThreads(initialThreads);
});

interface Product {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
}

/** float64 C = alpha·op(A)·op(B) + beta·C + bias, with row strides. */
function reference(p: Product, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number,
                   c: Float32Array, ldc: number, bias?: Float32Array): Float64Array {
  const out = new Float64Array(p.m * p.n);
  for (let i = 0; i < p.m; ++i) {
    for (let j = 0; j < p.n; ++j) {
      let sum = 0;
      for (let q = 0; q < p.k; ++q) {
        sum += a[p.transA ? q * lda + i : i * lda + q]! * b[p.transB ? j * ldb + q : q * ldb + j]!;
      }
      out[i * p.n + j] = alpha * sum + (beta === 0 ? 0 : beta * c[i * ldc + j]!) + (bias === undefined ? 0 : bias[j]!);
    }
  }
  return out;
}

function stored(p: Product): { a: [number, number]; b: [number, number] } {
  return { a: p.transA ? [p.k, p.m] : [p.m, p.k], b: p.transB ? [p.n, p.k] : [p.k, p.n] };
}

// Shapes that cross every block edge: MR (4, 6, 12), NR (16, 32), MC = 144, KC = 256, plus the
// matrix-vector (n = 1, m = 1), narrow (n ≤ 4, one matrix-vector product per column) and small-k
// (k ≤ 4) paths, the serial, row-task (tall) and 2-D (short and wide) parallel splits, and the MLP
// and ESAPN policy shapes (500×512 into 2 outputs, and its weight gradient).
const extents: [number, number, number][] = [
  [1, 1, 1], [1, 7, 5], [9, 1, 33], [3, 17, 2], [13, 33, 4], [25, 31, 257], [145, 65, 300], [37, 200, 1],
  [500, 1, 512], [512, 1, 500], [1, 512, 500], [150, 100, 513], [30, 700, 40],
  [500, 2, 512], [512, 2, 500], [7, 3, 9], [260, 4, 300], [2, 5, 6],
];

function products(): Product[] {
  const list: Product[] = [];
  for (const [m, n, k] of extents) {
    for (const transA of [false, true]) for (const transB of [false, true]) list.push({ transA, transB, m, n, k });
  }
  return list;
}

/** Runs every product through the native gemm with padded strides and checks C, and that padding is untouched. */
function checkProducts(label: string): void {
  const random = rng(testSeed(label));
  let worst = 0;
  for (const p of products()) {
    const shapes = stored(p);
    const lda = shapes.a[1] + randomInt(random, 0, 3);
    const ldb = shapes.b[1] + randomInt(random, 0, 3);
    const ldc = p.n + randomInt(random, 0, 3);
    const a = randomFloats(random, shapes.a[0] * lda);
    const b = randomFloats(random, shapes.b[0] * ldb);
    const c = randomFloats(random, p.m * ldc);
    const bias = random() < 0.5 ? randomFloats(random, p.n) : undefined;
    const beta = random() < 0.5 ? 0 : 0.75;
    if (beta === 0) c.fill(Number.NaN);  // beta = 0 must ignore C's old values, NaN included
    const alpha = random() < 0.5 ? 1 : -1.5;
    const expected = reference(p, alpha, a, lda, b, ldb, beta, c, ldc, bias);
    const before = Float32Array.from(c);
    addon.gemm(p.transA, p.transB, p.m, p.n, p.k, alpha, a, lda, b, ldb, beta, c, ldc, bias ?? null);
    const actual = new Float64Array(p.m * p.n);
    for (let i = 0; i < p.m; ++i) {
      for (let j = 0; j < ldc; ++j) {
        if (j < p.n) actual[i * p.n + j] = c[i * ldc + j]!;
        else expect(Object.is(c[i * ldc + j], before[i * ldc + j]), `padding of row ${i} changed`).toBe(true);
      }
    }
    const error = maxRelativeError(actual, expected);
    expect(error, `${JSON.stringify(p)} alpha ${alpha} beta ${beta}`).toBeLessThan(1e-5 * Math.sqrt(p.k + 1));
    worst = Math.max(worst, error);
  }
  console.log(`${label}: worst relative error ${worst.toExponential(2)}`);
}

describe("gemm on the CPU", () => {
  for (const kernel of initial.kernels) {
    it(`the builtin ${kernel} kernel matches float64 for every transpose, edge, stride, alpha, beta and bias`, () => {
      setCpuGemm({ backend: "builtin", kernel });
      checkProducts(`gemm builtin ${kernel}`);
    });
  }

  it.runIf(initial.openblas)("the OpenBLAS path matches float64 the same way (and agrees with builtin)", () => {
    setCpuGemm({ backend: "openblas" });
    checkProducts("gemm openblas");
    const random = rng(testSeed("gemm openblas vs builtin"));
    const a = Tensor.from(randomFloats(random, 500 * 256), { shape: [500, 256] });
    const b = Tensor.from(randomFloats(random, 256 * 512), { shape: [256, 512] });
    const fromBlas = matmul(a, b).toArray();
    setCpuGemm({ backend: "builtin", kernel: initial.kernels[0] });
    expect(maxRelativeError(matmul(a, b).toArray(), fromBlas)).toBeLessThan(1e-5);
  });

  it("k = 0 and alpha = 0 give beta·C + bias without reading A or B", () => {
    setCpuGemm({ backend: "builtin", kernel: initial.kernels[0] });
    const c = new Float32Array([1, 2, 3, 4, 5, 6]);
    addon.gemm(false, false, 2, 3, 0, 1, new Float32Array(0), 1, new Float32Array(0), 3, 2, c, 3, new Float32Array([1, 1, 1]));
    expect(Array.from(c)).toEqual([3, 5, 7, 9, 11, 13]);
    const nan = new Float32Array(4).fill(Number.NaN);
    addon.gemm(false, false, 2, 2, 2, 0, nan, 2, nan, 2, 0, c, 3, null);
    expect(Array.from(c)).toEqual([0, 0, 7, 0, 0, 13]);
  });

  it("gives the same bits on 1, 2 and 3 threads", () => {
    setCpuGemm({ backend: "builtin", kernel: initial.kernels[0] });
    const random = rng(testSeed("gemm threads"));
    const shapes: [number, number, number][] = [[500, 256, 512], [256, 512, 500], [30, 700, 40], [500, 1, 512], [500, 2, 512],
                                               [512, 2, 500], [500, 512, 2], [37, 300, 3]];
    for (const [m, n, k] of shapes) {
      const a = Tensor.from(randomFloats(random, m * k), { shape: [k, m] });
      const b = Tensor.from(randomFloats(random, k * n), { shape: [n, k] });
      const results = [1, 2, 3].map((threads) => {
        setThreads(threads);
        return matmul(a, b, { transA: true, transB: true }).toArray();
      });
      expect(results[1]).toEqual(results[0]);
      expect(results[2]).toEqual(results[0]);
    }
    setThreads(initialThreads);
  });
});

describe("matmul", () => {
  it("returns [m, n] and writes into out with beta", () => {
    const a = Tensor.from(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    const b = Tensor.from(new Float32Array([1, 0, 0, 1, 1, 1]), { shape: [3, 2] });
    const y = matmul(a, b, { bias: Tensor.from(new Float32Array([10, 20])) });
    expect(y.shape).toEqual([2, 2]);
    expect(Array.from(y.toArray())).toEqual([14, 25, 20, 31]);
    const out = Tensor.from(new Float32Array([1, 1, 1, 1]), { shape: [2, 2] });
    expect(matmul(a, b, { out, beta: 2, alpha: 0.5 })).toBe(out);
    expect(Array.from(out.toArray())).toEqual([4, 4.5, 7, 7.5]);
  });

  it("handles empty products: m = 0, n = 0 and k = 0", () => {
    expect(matmul(Tensor.zeros("float32", [0, 3]), Tensor.zeros("float32", [3, 4])).shape).toEqual([0, 4]);
    expect(matmul(Tensor.zeros("float32", [2, 3]), Tensor.zeros("float32", [3, 0])).shape).toEqual([2, 0]);
    const y = matmul(Tensor.zeros("float32", [2, 0]), Tensor.zeros("float32", [0, 3]), { bias: Tensor.from(new Float32Array([1, 2, 3])) });
    expect(Array.from(y.toArray())).toEqual([1, 2, 3, 1, 2, 3]);
  });

  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`backward (transA ${transA}, transB ${transB}) matches finite differences of L = Σ (op(A)·op(B) + bias) ⊙ R`, () => {
      const random = rng(testSeed(`matmul backward ${transA} ${transB}`));
      const p: Product = { transA, transB, m: 7, n: 5, k: 9 };
      const shapes = stored(p);
      const a = randomFloats(random, p.m * p.k);
      const b = randomFloats(random, p.k * p.n);
      const bias = randomFloats(random, p.n);
      const r = randomFloats(random, p.m * p.n);
      const alpha = 1.25;
      const loss = (av: Float32Array, bv: Float32Array, biasv: Float32Array) =>
        reference(p, alpha, av, shapes.a[1], bv, shapes.b[1], 0, new Float32Array(p.m * p.n), p.n, biasv)
          .reduce((sum, y, i) => sum + y * r[i]!, 0);
      const grads = matmulGradients(Tensor.from(r, { shape: [p.m, p.n] }), Tensor.from(a, { shape: shapes.a }),
                                    Tensor.from(b, { shape: shapes.b }), { transA, transB, alpha });
      expect(grads.da.shape).toEqual(shapes.a);
      expect(grads.db.shape).toEqual(shapes.b);
      const h = 1e-2;  // L is linear in each argument, so central differences are exact up to rounding
      const difference = (values: Float32Array, evaluate: (v: Float32Array) => number) =>
        Array.from(values, (_, i) => {
          const up = Float32Array.from(values); up[i] = values[i]! + h;
          const down = Float32Array.from(values); down[i] = values[i]! - h;
          return (evaluate(up) - evaluate(down)) / (up[i]! - down[i]!);
        });
      expect(maxRelativeError(grads.da.toArray(), difference(a, (v) => loss(v, b, bias)))).toBeLessThan(1e-5);
      expect(maxRelativeError(grads.db.toArray(), difference(b, (v) => loss(a, v, bias)))).toBeLessThan(1e-5);
      expect(maxRelativeError(grads.dbias.toArray(), difference(bias, (v) => loss(a, b, v)))).toBeLessThan(1e-5);
    });
  }

  it("rejects bad shapes, dtypes, options and devices, naming the argument", () => {
    const a = Tensor.zeros("float32", [2, 5]);
    const b = Tensor.zeros("float32", [3, 4]);
    expect(() => matmul(a, b)).toThrow(new RangeError("b has shape [3, 4] but a's inner dimension is 5"));
    expect(() => matmul(a, b, { transB: true })).toThrow("b has shape [3, 4] (transposed) but a's inner dimension is 5");
    expect(() => matmul(Tensor.zeros("float32", [5]), b)).toThrow("a must have 2 dimensions, got shape [5]");
    expect(() => matmul(a, Tensor.zeros("int32", [5, 2]) as unknown as Tensor<"float32">)).toThrow("b must be a float32 tensor, got int32");
    expect(() => matmul(a, Tensor.zeros("float32", [5, 2]), { bias: Tensor.zeros("float32", [3]) })).toThrow("bias has shape [3] but must have [2]");
    expect(() => matmul(a, Tensor.zeros("float32", [5, 2]), { out: Tensor.zeros("float32", [2, 3]) })).toThrow("out has shape [2, 3] but must have [2, 2]");
    expect(() => matmul(a, Tensor.zeros("float32", [5, 2]), { beta: 1 })).toThrow(RangeError);
    expect(() => matmul(a, Tensor.zeros("float32", [5, 5]), { out: a })).toThrow("out must not be a or b");
    expect(() => matmul(a, Tensor.zeros("float32", [5, 2]), { alpha: Number.NaN })).toThrow("alpha must be finite");
    expect(() => matmul(a, Tensor.zeros("float32", [5, 2]), { transA: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => biasGradient(Tensor.zeros("float32", [4]))).toThrow("dy must have 2 dimensions, got shape [4]");
  });

  it("native gemm checks strides, lengths and overlap before touching memory", () => {
    const a = new Float32Array(6);
    const b = new Float32Array(6);
    const c = new Float32Array(4);
    expect(() => addon.gemm(false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2, null)).toThrow(new RangeError("lda = 2 must be at least 3 (a's columns)"));
    expect(() => addon.gemm(false, false, 2, 2, 3, 1, a.subarray(1), 3, b, 2, 0, c, 2, null)).toThrow(/a has length 5 but a 2×3 matrix/);
    expect(() => addon.gemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 3, null)).toThrow(/c has length 4/);
    expect(() => addon.gemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, a.subarray(2), 2, null)).toThrow("c overlaps a");
    expect(() => addon.gemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2, new Float32Array(3))).toThrow("bias has length 3");
    expect(() => addon.gemm(false, false, -1, 2, 3, 1, a, 3, b, 2, 0, c, 2, null)).toThrow(RangeError);
    expect(() => addon.gemm(0 as unknown as boolean, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2, null)).toThrow(new TypeError("transA must be a boolean"));
    expect(() => addon.biasGradient(a, 2, 4, new Float32Array(4))).toThrow("dy has length 6 but must have rows × cols = 2 × 4");
  });

  it("setCpuGemm rejects unknown backends and kernels", () => {
    expect(() => setCpuGemm({ backend: "mkl" as "builtin" })).toThrow(RangeError);
    expect(() => setCpuGemm({ backend: "builtin", kernel: "neon" })).toThrow(/kernel "neon" is not supported/);
    if (!initial.openblas) expect(() => setCpuGemm({ backend: "openblas" })).toThrow("OpenBLAS is not available");
  });
});

describe("biasGradient", () => {
  it("sums dy's columns like float64, for batch 1, empty and wide inputs", () => {
    const random = rng(testSeed("bias gradient"));
    for (const [rows, cols] of [[1, 5], [0, 3], [500, 1], [333, 130], [17, 0]] as const) {
      const dy = randomFloats(random, rows * cols);
      const expected = Array.from({ length: cols }, (_, j) => {
        let sum = 0;
        for (let i = 0; i < rows; ++i) sum += dy[i * cols + j]!;
        return sum;
      });
      const db = biasGradient(Tensor.from(dy, { shape: [rows, cols] }));
      expect(db.shape).toEqual([cols]);
      expect(maxRelativeError(db.toArray(), expected)).toBeLessThan(1e-5);
    }
  });
});

describe.runIf(backend().cudaDevices.length > 0)("gemm on CUDA", () => {
  it("matches the CPU for every transpose, edge, alpha, beta and bias", () => {
    const random = rng(testSeed("gemm cuda"));
    for (const p of products()) {
      const shapes = stored(p);
      const a = Tensor.from(randomFloats(random, p.m * p.k), { shape: shapes.a });
      const b = Tensor.from(randomFloats(random, p.k * p.n), { shape: shapes.b });
      const bias = Tensor.from(randomFloats(random, p.n));
      const out = Tensor.from(randomFloats(random, p.m * p.n), { shape: [p.m, p.n] });
      const options = { transA: p.transA, transB: p.transB, alpha: 0.5 };
      const cpu = matmul(a, b, { ...options, bias, out: Tensor.from(Float32Array.from(out.toArray()), { shape: out.shape }), beta: 0.25 });
      const gpu = matmul(a.to("cuda"), b.to("cuda"), { ...options, bias: bias.to("cuda"), out: out.to("cuda"), beta: 0.25 });
      expect(gpu.device).toBe("cuda");
      expect(maxRelativeError(gpu.toArray(), cpu.toArray()), JSON.stringify(p)).toBeLessThan(1e-5 * Math.sqrt(p.k + 1));
    }
  });

  it("ignores NaN in out when beta = 0, and handles k = 0", () => {
    const out = Tensor.from(new Float32Array(4).fill(Number.NaN), { shape: [2, 2], device: "cuda" });
    const a = Tensor.from(new Float32Array([1, 2, 3, 4]), { shape: [2, 2], device: "cuda" });
    expect(Array.from(matmul(a, a, { out }).toArray())).toEqual([7, 10, 15, 22]);
    const empty = matmul(Tensor.zeros("float32", [2, 0], "cuda"), Tensor.zeros("float32", [0, 2], "cuda"));
    expect(Array.from(empty.toArray())).toEqual([0, 0, 0, 0]);
  });

  it("bias gradient gives the CPU's bits", () => {
    const random = rng(testSeed("bias gradient cuda"));
    for (const [rows, cols] of [[1, 5], [500, 1], [1000, 257]] as const) {
      const dy = Tensor.from(randomFloats(random, rows * cols), { shape: [rows, cols] });
      expect(biasGradient(dy.to("cuda")).toArray()).toEqual(biasGradient(dy).toArray());
    }
  });

  it("rejects mixed devices", () => {
    expect(() => matmul(Tensor.zeros("float32", [2, 2], "cuda"), Tensor.zeros("float32", [2, 2]))).toThrow(TypeError);
  });
});
