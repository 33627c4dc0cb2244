/**
 * The compile-time resource check (scripts/check-cuda-resources.mjs) on hand-made inputs: ptxas's
 * report format, kernel names from demangled signatures, and the register arithmetic of a block.
 */
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain JavaScript CI script, without type declarations
import { baseName, blockRegisters, parseResourceUsage } from "../scripts/check-cuda-resources.mjs";

describe("the CUDA resource check", () => {
  it("reads registers and static shared memory per kernel and architecture from ptxas's report", () => {
    const log = [
      "ptxas info    : Compiling entry function '_Z1kPf' for 'sm_75'",
      "ptxas info    : Function properties for _Z1kPf",
      "    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads",
      "ptxas info    : Used 10 registers, used 1 barriers, 256 bytes smem, 360 bytes cmem[0]",
      "ptxas info    : Compiling entry function '_Z1gv' for 'sm_90'",
      "ptxas info    : Used 40 registers, used 0 barriers, 360 bytes cmem[0]",
    ].join("\n");
    expect(parseResourceUsage(log)).toEqual([
      { mangled: "_Z1kPf", arch: "sm_75", registers: 10, sharedBytes: 256 },
      { mangled: "_Z1gv", arch: "sm_90", registers: 40, sharedBytes: 0 },
    ]);
  });

  it("names a kernel by its own name, without namespaces, template arguments or parameters", () => {
    expect(baseName("void mixdim::cuda::(anonymous namespace)::lookup_kernel<4, 1>(mixdim::StoreView, int const*, long, float*, int)"))
      .toBe("lookup_kernel");
    expect(baseName("void (anonymous namespace)::tile_totals_kernel<(anonymous namespace)::Bce>((anonymous namespace)::Bce, long, double*, long*)"))
      .toBe("tile_totals_kernel");
    expect(baseName("void fill_kernel(float*, long, float)")).toBe("fill_kernel");
  });

  it("counts a block's registers per warp in units of 256", () => {
    // 256 threads = 8 warps; 10 registers × 32 lanes = 320, rounded up to 512 per warp.
    expect(blockRegisters(10, 256)).toBe(8 * 512);
    // 1,024 threads at 64 registers fill an SM's 65,536 exactly; 65 registers do not fit.
    expect(blockRegisters(64, 1024)).toBe(65536);
    expect(blockRegisters(65, 1024)).toBeGreaterThan(65536);
    // A partial warp costs a whole warp.
    expect(blockRegisters(32, 33)).toBe(2 * 1024);
  });
});
