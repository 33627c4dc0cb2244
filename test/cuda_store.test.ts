/**
 * The CUDA store against the CPU store on the same inputs. Skipped where no CUDA device is
 * found (CI never has one); run on a GPU machine, these are the CUDA kernels' correctness checks.
 */
import { describe, expect, it } from "vitest";
import { backend, EmbeddingStore, Tensor, type SparseOptimizerOptions, type StoreField } from "mixdim";
import { maxRelativeError } from "./support/reference_store.js";
import { pick, randomFloats, randomInt, rng, testSeed } from "./support/random.js";

const hasCuda = backend().cudaDevices.length > 0;
const candidates = [2, 4, 8, 16, 64, 128];
const maxDim = 128;

describe("the binary under test", () => {
  it.runIf(process.env.MIXDIM_EXPECT_CUDA_COMPILED === "1")("has the CUDA kernels compiled in", () => {
    expect(backend().cudaCompiled).toBe(true);
  });

  // Set by scripts/gpu-check.sh, on a machine with a GPU: there a missing device is a failure, not a skip.
  it.runIf(process.env.MIXDIM_EXPECT_CUDA_DEVICE === "1")("finds a real CUDA device", () => {
    expect(backend().cudaDevices.filter((device) => !device.emulated), backend().cudaUnavailableReason).not.toEqual([]);
  });

  it.runIf(!hasCuda)("reports why no CUDA device can be used", () => {
    expect(backend().cudaUnavailableReason).toMatch(/\S/);
  });
});

describe.runIf(hasCuda)("CUDA store matches the CPU store", () => {
  function twins(seed: number, numRows: number, optimizer: SparseOptimizerOptions) {
    const random = rng(seed);
    const sizes = Array.from({ length: numRows }, (_, i) => (i < candidates.length ? candidates[i]! : pick(random, candidates)));
    const cpu = new EmbeddingStore({ candidates, sizes, optimizer, seed, device: "cpu" });
    const gpu = new EmbeddingStore({ candidates, sizes, optimizer, seed, device: "cuda" });
    return { cpu, gpu, random };
  }
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  const ids = (random: () => number, n: number, rows: number) =>
    Int32Array.from({ length: n }, () => randomInt(random, 0, rows));

  it("draws the same initial rows from the same seed, bit for bit", () => {
    const { cpu, gpu } = twins(testSeed("cuda init"), 500, { type: "sgd" });
    expect(gpu.readRows(all(500))).toEqual(cpu.readRows(all(500)));
  });

  it("looks up the same padded rows", () => {
    const { cpu, gpu, random } = twins(testSeed("cuda lookup"), 1000, { type: "sgd" });
    for (const n of [0, 1, 4096]) {
      const batch = ids(random, n, 1000);
      const onGpu = gpu.lookup(Tensor.from(batch, { device: "cuda" }));
      expect(onGpu.device).toBe("cuda");
      expect(maxRelativeError(onGpu.toArray(), cpu.lookup(batch).toArray())).toBeLessThan(1e-6);
    }
  });

  it("sums the same sparse gradients", () => {
    const { cpu, gpu, random } = twins(testSeed("cuda gradient"), 300, { type: "sgd" });
    const batch = ids(random, 5000, 300);
    const grad = randomFloats(random, 5000 * maxDim);
    const expected = cpu.sparseGradient(batch, grad);
    const actual = gpu.sparseGradient(Tensor.from(batch, { device: "cuda" }), Tensor.from(grad, { shape: [5000, maxDim], device: "cuda" }));
    expect(Array.from(actual.ids.toArray())).toEqual(Array.from(expected.ids.toArray()));
    // Both add each row's gradients in batch order: the same floats in the same order.
    expect(actual.values.toArray()).toEqual(expected.values.toArray());
  });

  const stateFields: Record<SparseOptimizerOptions["type"], StoreField[]> = {
    sgd: [],
    adam: ["moment1", "moment2"],
    adagrad: ["rowState"],
  };
  for (const optimizer of [
    { type: "sgd", learningRate: 0.1, weightDecay: 0.01 },
    { type: "adam", learningRate: 0.01, weightDecay: 0.001 },
    { type: "adagrad", learningRate: 0.05 },
  ] as SparseOptimizerOptions[]) {
    it(`takes the same fused ${optimizer.type} steps, also across resizes, bit for bit`, () => {
      const { cpu, gpu, random } = twins(testSeed(`cuda ${optimizer.type}`), 400, optimizer);
      for (let t = 0; t < 4; ++t) {
        const batch = ids(random, 2048, 400);
        const grad = randomFloats(random, 2048 * maxDim);
        cpu.step(batch, grad);
        gpu.step(Tensor.from(batch, { device: "cuda" }), Tensor.from(grad, { shape: [2048, maxDim], device: "cuda" }));
        const resized = all(400).filter(() => random() < 0.2);
        const sizes = resized.map(() => pick(random, candidates));
        const init = t % 2 === 0 ? randomFloats(random, resized.length * maxDim) : undefined;
        cpu.resize(resized, sizes, init);
        gpu.resize(resized, sizes, init === undefined ? undefined : Tensor.from(init, { shape: [resized.length, maxDim], device: "cuda" }));
      }
      expect(Array.from(gpu.sizes())).toEqual(Array.from(cpu.sizes()));
      expect(gpu.readRows(all(400))).toEqual(cpu.readRows(all(400)));
      for (const field of stateFields[optimizer.type]) {
        expect(gpu.readRows(all(400), field)).toEqual(cpu.readRows(all(400), field));
      }
      expect(gpu.bytes().rows).toBe(cpu.bytes().rows);
    });
  }

  // Only the emulated device can be made to run out of memory (MIXDIM_EMULATED_DEVICE_MEMORY).
  it.runIf(process.env.MIXDIM_EXPECT_CUDA_EMULATION === "1")(
    "a fused step that runs out of device memory changes nothing, the step count included", () => {
      const { cpu, gpu, random } = twins(testSeed("cuda failed step"), 300, { type: "adam", learningRate: 0.01 });
      const small = ids(random, 64, 300);
      const smallGrad = randomFloats(random, 64 * maxDim);
      cpu.step(small, smallGrad);
      gpu.step(Tensor.from(small, { device: "cuda" }), Tensor.from(smallGrad, { shape: [64, maxDim], device: "cuda" }));
      // A batch larger than any before, so that the step's sort buffers must grow.
      const large = ids(random, 8192, 300);
      const largeGrad = randomFloats(random, 8192 * maxDim);
      const largeOnGpu = [Tensor.from(large, { device: "cuda" }), Tensor.from(largeGrad, { shape: [8192, maxDim], device: "cuda" })] as const;
      process.env.MIXDIM_EMULATED_DEVICE_MEMORY = "1";
      try {
        expect(() => gpu.step(...largeOnGpu)).toThrow(/out of memory/);
      } finally {
        delete process.env.MIXDIM_EMULATED_DEVICE_MEMORY;
      }
      expect(gpu.stepCount).toBe(1);
      expect(gpu.readRows(all(300))).toEqual(cpu.readRows(all(300)));
      // The next step is Adam's second on both devices: the same bias correction, the same bits.
      gpu.step(...largeOnGpu);
      cpu.step(large, largeGrad);
      expect(gpu.stepCount).toBe(2);
      expect(gpu.readRows(all(300))).toEqual(cpu.readRows(all(300)));
    });

  it("refuses a non-finite resize init as the CPU does, leaving the rows as they were", () => {
    const { cpu, gpu } = twins(testSeed("cuda init check"), 8, { type: "sgd" });
    const init = new Float32Array(2 * maxDim).fill(0.5);
    init[maxDim + 3] = Number.NaN;
    const before = gpu.readRows(all(8));
    expect(() => cpu.resize([1, 2], [16, 16], init)).toThrow(RangeError);
    expect(() => gpu.resize([1, 2], [16, 16], Tensor.from(init, { shape: [2, maxDim], device: "cuda" })))
      .toThrow(new RangeError(`init[${maxDim + 3}] is not finite`));
    expect(gpu.readRows(all(8))).toEqual(before);
    // Past a row's new size the values are not read, on either device.
    init[maxDim + 3] = 0.5;
    init[maxDim + 100] = Number.POSITIVE_INFINITY;
    gpu.resize([1, 2], [16, 16], Tensor.from(init, { shape: [2, maxDim], device: "cuda" }));
    cpu.resize([1, 2], [16, 16], init);
    expect(gpu.readRows(all(8))).toEqual(cpu.readRows(all(8)));
  });

  it("rejects host tensors, out-of-range device ids and disposed device tensors", () => {
    const { gpu } = twins(1, 10, { type: "sgd" });
    expect(() => gpu.lookup(new Int32Array([0]))).toThrow(/ids is on cpu but the store is on cuda/);
    expect(() => gpu.lookup(Tensor.from(new Int32Array([0, 10]), { device: "cuda" }))).toThrow("ids[1] = 10 is out of range [0, 10)");
    const grad = new Float32Array(maxDim);
    grad[0] = Number.NaN;
    expect(() => gpu.step(Tensor.from(new Int32Array([0]), { device: "cuda" }), Tensor.from(grad, { shape: [1, maxDim], device: "cuda" }))).toThrow(/NaN/);
    const disposed = Tensor.from(new Int32Array([0]), { device: "cuda" });
    disposed.dispose();
    expect(() => gpu.lookup(disposed)).toThrow("ids is a disposed tensor");
    const cpu = new EmbeddingStore({ candidates, sizes: [2] });
    expect(() => cpu.lookup(Tensor.from(new Int32Array([0]), { device: "cuda" }))).toThrow(/ids is on cuda but the store is on cpu/);
  });
});
