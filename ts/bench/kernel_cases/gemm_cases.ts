/**
 * The GEMMs of training, at ESAPN's batch B: every Linear layer of the recommender (256→512→1)
 * and of the size policies (38→512→2, 38 = 32 frequency features + 6 sizes), each as
 *
 *   forward          y = x·W + b          m = B,  n = out, k = in    N N, with bias
 *   input gradient   dx = dy·Wᵀ           m = B,  n = in,  k = out   N T
 *   weight gradient  dW = xᵀ·dy           m = in, n = out, k = B     T N
 *
 * plus the bias gradient, the whole Linear backward in one call (matmulGradients), and LightGCN's
 * scores of a batch of users against every item (N T). FLOPs are 2·m·n·k; products write into a
 * preallocated output, as the OpenBLAS peak they are read against does.
 */
import type { Device } from "../../backend.js";
import { biasGradient, matmul, matmulGradients } from "../../ops/gemm.js";
import type { KernelTableProfile } from "../bench_profile.js";
import { CaseInputs } from "../case_inputs.js";
import { disposeOutputs, floatBytes, type KernelCase, kernelCase, type KernelGroup, shapeText } from "../kernel_case.js";

/** [in, out] and a name, for each Linear layer ESAPN trains. */
const layers: readonly { name: string; inFeatures: number; outFeatures: number }[] = [
  { name: "recommender hidden", inFeatures: 256, outFeatures: 512 },
  { name: "recommender output", inFeatures: 512, outFeatures: 1 },
  { name: "policy hidden", inFeatures: 38, outFeatures: 512 },
  { name: "policy output", inFeatures: 512, outFeatures: 2 },
];

/** LightGCN's evaluation scores: a batch of users against MovieLens-1M's 3706 items, D = 64. */
const scoring = { items: 3706, dim: 64 };

export function gemmCases(device: Device, profile: KernelTableProfile): KernelGroup {
  const batch = profile.batch;
  const inputs = new CaseInputs(device);
  const product = (op: string, label: string, m: number, n: number, k: number, transposes: string,
                   pass: KernelCase["pass"], run: () => unknown, bias = 0): KernelCase => ({
    op, label, shape: `${m}×${n}×${k} ${transposes}`, pass, bound: "compute",
    effectiveBytes: floatBytes(m * k, k * n, m * n, bias), flops: 2 * m * n * k, run,
  });

  const cases: KernelCase[] = [];
  layers.forEach(({ name, inFeatures: width, outFeatures: outputs }, l) => {
    const x = inputs.seeded([batch, width], 10 * l + 1, 0.1);
    const w = inputs.seeded([width, outputs], 10 * l + 2, 0.1);
    const b = inputs.seeded([outputs], 10 * l + 3, 0.1);
    const dy = inputs.seeded([batch, outputs], 10 * l + 4, 0.1);
    const y = inputs.zeros([batch, outputs]);
    const dx = inputs.zeros([batch, width]);
    const dw = inputs.zeros([width, outputs]);
    const linear = `Linear ${width}→${outputs} (${name})`;
    cases.push(
      product("matmul", `${linear}: x·W + b`, batch, outputs, width, "N N + bias", "forward",
              () => matmul(x, w, { bias: b, out: y }), outputs),
      product("matmul", `${linear}: dx = dy·Wᵀ`, batch, width, outputs, "N T", "backward",
              () => matmul(dy, w, { transB: true, out: dx })),
      product("matmul", `${linear}: dW = xᵀ·dy`, width, outputs, batch, "T N", "backward",
              () => matmul(x, dy, { transA: true, out: dw })),
    );
    if (l === 0) {
      cases.push(
        kernelCase({
          op: "matmulGradients", label: `${linear}: dx, dW and db in one call`,
          shape: `${batch}×${outputs}×${width}`, pass: "backward", bound: "compute",
          // Reads dy, x and W; writes dx, dW and db.
          effectiveBytes: floatBytes(batch * outputs, batch * width, width * outputs, batch * width,
                                     width * outputs, outputs),
          flops: 2 * (2 * batch * width * outputs),
          run: () => matmulGradients(dy, x, w), release: disposeOutputs,
        }),
        kernelCase({
          op: "biasGradient", label: `${linear}: db = Σ_rows dy`, shape: shapeText([batch, outputs]),
          pass: "backward", bound: "bandwidth", effectiveBytes: floatBytes(batch * outputs, outputs),
          run: () => biasGradient(dy), release: disposeOutputs,
        }),
      );
    }
  });

  const users = inputs.seeded([batch, scoring.dim], 51, 0.1);
  const items = inputs.seeded([scoring.items, scoring.dim], 52, 0.1);
  const scores = inputs.zeros([batch, scoring.items]);
  cases.push(product("matmul", `LightGCN scores, ${batch} users × ${scoring.items} items`, batch, scoring.items,
                     scoring.dim, "N T", "forward", () => matmul(users, items, { transB: true, out: scores })));

  return { family: "GEMM", cases, dispose: () => inputs.dispose() };
}
