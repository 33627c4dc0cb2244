/**
 * The emulated CUDA build as users of mixdim see it: a device that says it is emulated, and that
 * only an explicit device "cuda" uses. Runs where CI runs the emulated build (MIXDIM_EXPECT_CUDA_EMULATION=1).
 */
import { describe, expect, it } from "vitest";
import { backend, EmbeddingStore } from "mixdim";

describe.runIf(process.env.MIXDIM_EXPECT_CUDA_EMULATION === "1")("the emulated CUDA device", () => {
  it("is reported by backend() as an emulated H100 (sm_90)", () => {
    const info = backend();
    expect(info.cudaCompiled).toBe(true);
    expect(info.cudaDevices).toHaveLength(1);
    expect(info.cudaDevices[0]).toMatchObject({ index: 0, computeCapability: "9.0", emulated: true });
    expect(info.cudaDevices[0]!.name).toMatch(/H100.*emulated/);
  });

  it("is never picked by device \"auto\", only by an explicit device \"cuda\"", () => {
    const options = { candidates: [2, 4], sizes: [2, 4, 2] };
    expect(new EmbeddingStore({ ...options, device: "auto" }).device).toBe("cpu");
    expect(new EmbeddingStore({ ...options, device: "cuda" }).device).toBe("cuda");
  });
});
