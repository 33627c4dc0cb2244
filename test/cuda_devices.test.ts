/**
 * Several CUDA devices, on the emulated CUDA build, whose runtime exposes the devices that
 * MIXDIM_EMULATED_DEVICES lists (read at each call, so each test sets its own). A real machine may
 * hold a GPU that mixdim's binary has no code for beside one it has, or two GPUs: kernels must then
 * launch on the device their tensors live on, with that device's scratch memory. The emulated
 * runtime faults, as a GPU without peer access does, when a kernel is handed another device's memory.
 */
import { afterEach, describe, expect, it } from "vitest";
import { backend, EmbeddingStore, Tensor } from "mixdim";
import { native } from "../ts/native.js";
import { clipGradNorm } from "../ts/ops/dense_optimizer.js";
import { bceWithLogitsLoss } from "../ts/ops/loss.js";
import { randomFloats, rng, testSeed } from "./support/random.js";

const emulated = process.env.MIXDIM_EXPECT_CUDA_EMULATION === "1";

/** A float32 tensor on CUDA device `ordinal`, which the public API cannot name (it uses the first usable device). */
function onOrdinal(values: Float32Array, ordinal: number): Tensor<"float32"> {
  const buffer = new native.DeviceBuffer(values.byteLength, ordinal);
  buffer.upload(values);
  return Tensor.fromDeviceBuffer("float32", [values.length], buffer);
}

describe.runIf(emulated)("CUDA with several devices (emulated)", () => {
  afterEach(() => {
    delete process.env.MIXDIM_EMULATED_DEVICES;
  });

  it("takes the first usable CUDA device for device \"cuda\" when device 0 has no code in the build", () => {
    process.env.MIXDIM_EMULATED_DEVICES = "6.0,9.0";
    const info = backend();
    expect(info.cudaDevices.map((d) => d.index)).toEqual([1]);
    const store = new EmbeddingStore({ candidates: [2, 4], sizes: [2, 4, 4], seed: 5, device: "cuda" });
    const twin = new EmbeddingStore({ candidates: [2, 4], sizes: [2, 4, 4], seed: 5 });
    const ids = Int32Array.of(2, 0, 1);
    expect(store.lookup(Tensor.from(ids, { device: "cuda" })).toArray()).toEqual(twin.lookup(ids).toArray());
    // An op's kernels run there too (on device 0 a launch fails: no kernel image).
    const random = rng(testSeed("cuda first usable device"));
    const logits = randomFloats(random, 1000, 3);
    const labels = Float32Array.from({ length: 1000 }, () => (random() < 0.5 ? 0 : 1));
    const onGpu = bceWithLogitsLoss(Tensor.from(logits, { device: "cuda" }), Tensor.from(labels, { device: "cuda" }), { gradient: false });
    const onCpu = bceWithLogitsLoss(Tensor.from(logits), Tensor.from(labels), { gradient: false });
    expect(onGpu.loss).toBeCloseTo(onCpu.loss, 5);
  });

  it("runs each op on its tensors' device, with that device's scratch memory, whichever device is current", () => {
    process.env.MIXDIM_EMULATED_DEVICES = "2";
    const random = rng(testSeed("cuda two devices"));
    const values = randomFloats(random, 5000, 3);
    const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
    // Allocated on 0, then on 1: device 1 is current when the first op runs on device 0's tensor.
    // clipGradNorm's kernels take the tensor and their scratch as pointers, which the runtime checks.
    const onZero = onOrdinal(values, 0);
    const onOne = onOrdinal(values, 1);
    for (const grad of [onZero, onOne, onZero, onOne]) {
      expect(clipGradNorm([grad], 1e30)).toBeCloseTo(norm, 2);  // measures, never clips
    }
    const clipped = clipGradNorm([onOne], 1);
    expect(clipped).toBeCloseTo(norm, 2);
    expect(Math.hypot(...onOne.toArray())).toBeCloseTo(1, 4);
    expect(onZero.toArray()).toEqual(values);
  });
});
