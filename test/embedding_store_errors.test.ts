import { describe, expect, it } from "vitest";
import { backend, EmbeddingStore, Tensor } from "mixdim";

const candidates = [2, 4, 8, 16, 64, 128];

function store(options: Partial<ConstructorParameters<typeof EmbeddingStore>[0]> = {}) {
  return new EmbeddingStore({ candidates, sizes: [2, 4, 128, 16], ...options });
}

describe("bad input is a named TypeError or RangeError, never a crash", () => {
  it("rejects ids of the wrong typed-array type", () => {
    const s = store();
    expect(() => s.lookup(new Float32Array([0, 1]) as unknown as Int32Array)).toThrow(TypeError);
    expect(() => s.lookup(new Float32Array([0, 1]) as unknown as Int32Array)).toThrow(/ids must be an Int32Array/);
    expect(() => s.lookup(new Uint32Array([0]) as unknown as Int32Array)).toThrow(/ids/);
    expect(() => s.lookup("0, 1" as unknown as Int32Array)).toThrow(TypeError);
  });

  it("rejects gradients and outputs of the wrong type or length", () => {
    const s = store();
    const ids = new Int32Array([0, 1]);
    expect(() => s.lookup(ids, new Float64Array(256) as unknown as Float32Array)).toThrow(TypeError);
    expect(() => s.lookup(ids, new Float32Array(255))).toThrow(RangeError);
    expect(() => s.lookup(ids, new Float32Array(255))).toThrow(/out has length 255/);
    expect(() => s.step(ids, new Float32Array(3))).toThrow(/gradOut has length 3/);
    expect(() => s.sparseGradient(ids, new Int32Array(256) as unknown as Float32Array)).toThrow(TypeError);
    expect(() => s.step(ids, Tensor.from(new Float32Array(256), { shape: [128, 2] }))).toThrow(/gradOut has shape \[128, 2\]/);
  });

  it("rejects negative, out-of-range and non-integer ids, naming the position", () => {
    const s = store();
    expect(() => s.lookup(new Int32Array([0, -1]))).toThrow(RangeError);
    expect(() => s.lookup(new Int32Array([0, -1]))).toThrow("ids[1] = -1 is out of range [0, 4)");
    expect(() => s.lookup(new Int32Array([4]))).toThrow("ids[0] = 4 is out of range [0, 4)");
    expect(() => s.step(new Int32Array([1, 2, 9]), new Float32Array(3 * 128))).toThrow("ids[2] = 9 is out of range");
    expect(() => s.lookup([0, 1.5])).toThrow("ids[1] = 1.5 is not a 32-bit integer");
    expect(() => s.lookup([0, "1" as unknown as number])).toThrow(TypeError);
    expect(() => s.resize([7], [2])).toThrow("ids[0] = 7 is out of range [0, 4)");
    expect(() => s.readRows([-3])).toThrow(RangeError);
  });

  it("leaves the store untouched when a step is rejected", () => {
    const s = store();
    const before = s.readRows([0, 1, 2, 3]);
    const grad = new Float32Array(2 * 128).fill(1);
    expect(() => s.step(new Int32Array([0, 11]), grad)).toThrow(RangeError);
    grad[5] = Number.NaN;
    expect(() => s.step(new Int32Array([2, 3]), grad)).toThrow(/gradOut holds NaN/);
    expect(s.readRows([0, 1, 2, 3])).toEqual(before);
    expect(s.stepCount).toBe(0);
  });

  it("ignores NaN in the padding beyond a row's size, which no row reads", () => {
    const s = store();
    const grad = new Float32Array(128);
    grad[2] = Number.NaN; // row 0 has size 2
    expect(() => s.step(new Int32Array([0]), grad)).not.toThrow();
  });

  it("rejects sizes that are not candidates, and bad candidate lists", () => {
    expect(() => store({ sizes: [2, 3] })).toThrow("sizes[1] = 3 is not a candidate size {2, 4, 8, 16, 64, 128}");
    expect(() => store().addRows([32])).toThrow(RangeError);
    expect(() => store().resize([0], [5])).toThrow(/sizes\[0\] = 5 is not a candidate/);
    expect(() => store({ candidates: [4, 2] })).toThrow(/strictly increasing/);
    expect(() => store({ candidates: [] })).toThrow(/candidates must hold 1 to 16/);
    expect(() => store({ candidates: [0, 2] })).toThrow(RangeError);
    expect(() => store({ candidates: "2,4" as unknown as number[] })).toThrow(TypeError);
  });

  it("rejects mismatched lengths and repeated ids in resize and writeRows", () => {
    const s = store();
    expect(() => s.resize([0, 1], [2])).toThrow("sizes has length 1 but must have 2 (one size per id)");
    expect(() => s.resize([0, 0], [2, 4])).toThrow("ids lists id 0 more than once");
    expect(() => s.resize([0], [4], new Float32Array(10))).toThrow(/init has length 10/);
    expect(() => s.writeRows([1, 1], new Float32Array(256))).toThrow(/more than once/);
    expect(() => s.writeRows([1], new Float32Array(5))).toThrow(/values has length 5/);
  });

  it("rejects NaN where it would corrupt state: hyperparameters, init values and written rows", () => {
    expect(() => store({ optimizer: { type: "adam", learningRate: Number.NaN } })).toThrow(RangeError);
    expect(() => store({ optimizer: { type: "adam", learningRate: Number.NaN } })).toThrow(/optimizer.learningRate/);
    expect(() => store({ optimizer: { type: "adam", beta1: 1.5 } })).toThrow(/optimizer.beta1/);
    expect(() => store({ initStd: Number.NaN })).toThrow(/initStd/);
    expect(() => store({ seed: -1 })).toThrow(/seed/);
    expect(() => store({ optimizer: { type: "rmsprop" as "sgd" } })).toThrow(TypeError);
    const s = store();
    expect(() => { s.learningRate = Number.POSITIVE_INFINITY; }).toThrow(RangeError);
    const init = new Float32Array(128);
    init[1] = Number.NaN;
    expect(() => s.resize([0], [4], init)).toThrow("init[1] is not finite");
    const values = new Float32Array(128);
    values[0] = Number.POSITIVE_INFINITY;
    expect(() => s.writeRows([0], values)).toThrow("values[0] is not finite");
  });

  it("rejects disposed tensors and disposed stores", () => {
    const s = store();
    const ids = Tensor.from(new Int32Array([0]));
    ids.dispose();
    expect(() => s.lookup(ids)).toThrow("ids is a disposed tensor");
    s.dispose();
    expect(() => s.lookup([0])).toThrow("lookup: the store is disposed");
    expect(() => s.bytes()).toThrow(/disposed/);
  });

  it("rejects an id tensor of the wrong dtype", () => {
    const s = store();
    expect(() => s.lookup(Tensor.from(new Float32Array([0])) as unknown as Tensor<"int32">)).toThrow(TypeError);
  });

  it.skipIf(backend().cudaDevices.length > 0)("says why device \"cuda\" cannot be used, and \"auto\" falls back to the CPU", () => {
    expect(() => store({ device: "cuda" })).toThrow(/device "cuda" is not available: /);
    expect(store({ device: "auto" }).device).toBe("cpu");
    expect(() => store({ device: "gpu" as "cuda" })).toThrow(TypeError);
  });
});
