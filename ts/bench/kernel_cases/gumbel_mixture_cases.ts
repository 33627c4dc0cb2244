/**
 * The Gumbel-softmax mixture of AutoDim and DARTS on an AutoDim-shaped problem: B rows, F fields,
 * candidates {2, 4, 8, 16, 32} sharing one table, common size D = 32 (gumbel_bench.ts's shape).
 * The weights (F·M values) and the weighted sum are read against the copy; the projections are
 * GEMMs, 2·B·F·D·Σd_m FLOPs for each candidate's own product, 2·B·F·D·K for the fused product
 * over W̃_f = [w_f1 W_f1 | …] (K = d_max with a shared table), twice that for a backward.
 */
import type { Device } from "../../backend.js";
import {
  type CandidateProjections, gumbelNoise, mixtureInputWidth, mixtureWeights, mixtureWeightsBackward, projectAndMix,
  projectAndMixBackward, projectCandidates, projectCandidatesBackward, weightedSum, weightedSumBackward,
} from "../../ops/gumbel_mixture.js";
import type { KernelTableProfile } from "../bench_profile.js";
import { CaseInputs } from "../case_inputs.js";
import { disposeOutputs, floatBytes, kernelCase, type KernelGroup, shapeText } from "../kernel_case.js";

const dims = [2, 4, 8, 16, 32];
const dim = 32;
const tau = 0.5;

export function gumbelMixtureCases(device: Device, profile: KernelTableProfile): KernelGroup {
  const inputs = new CaseInputs(device);
  const { batch, fields } = profile.gumbel;
  const M = dims.length;
  const K = mixtureInputWidth(dims, true);
  const S = dims.reduce((total, d) => total + d, 0);
  const logAlpha = inputs.seeded([fields, M], 1);
  const { p, w } = mixtureWeights(logAlpha, { tau, seed: 7, step: 0 });
  inputs.hold(p);
  inputs.hold(w);
  const dw = inputs.seeded([fields, M], 2);
  const h = inputs.seeded([batch, fields, M, dim], 3);
  const dout = inputs.seeded([batch, fields, dim], 4);
  const e = inputs.seeded([batch, fields, K], 5);
  const projections: CandidateProjections = {
    dims, shared: true, weights: inputs.seeded([fields, dim, S], 6, 0.1), biases: inputs.seeded([fields, M, dim], 7, 0.1),
  };
  const dh = inputs.seeded([batch, fields, M, dim], 8);
  const weightsShape = shapeText([fields, M]);
  const mixShape = `B ${batch}, F ${fields}, dims {${dims.join(", ")}} shared, D ${dim}`;
  const fm = fields * M;
  const hValues = batch * fields * M * dim;
  const outValues = batch * fields * dim;
  const eValues = batch * fields * K;
  const parameterValues = fields * dim * S + fields * M * dim;
  return {
    family: "Gumbel mixture",
    cases: [
      kernelCase({ op: "gumbelNoise", label: "g = −log(−log u), Philox", shape: weightsShape, pass: "forward",
                   bound: "bandwidth", effectiveBytes: floatBytes(fm),
                   run: (i) => gumbelNoise(fields, M, { seed: 7, step: i, device }), release: disposeOutputs }),
      kernelCase({ op: "mixtureWeights", label: "p = softmax((log α + g)/τ)", shape: weightsShape, pass: "forward",
                   bound: "bandwidth", effectiveBytes: floatBytes(fm, 2 * fm),
                   run: (i) => mixtureWeights(logAlpha, { tau, seed: 7, step: i }), release: disposeOutputs }),
      kernelCase({ op: "mixtureWeightsBackward", label: "dL/dlog α", shape: weightsShape, pass: "backward",
                   bound: "bandwidth", effectiveBytes: floatBytes(2 * fm, fm),
                   run: () => mixtureWeightsBackward(p, dw, tau), release: disposeOutputs }),
      kernelCase({ op: "weightedSum", label: "out = Σ_m w_m·h_m (the mix)", shape: mixShape, pass: "forward",
                   bound: "bandwidth", effectiveBytes: floatBytes(hValues, fm, outValues),
                   run: () => weightedSum(h, w), release: disposeOutputs }),
      kernelCase({ op: "weightedSumBackward", label: "dh = w ⊗ dout, dw", shape: mixShape, pass: "backward",
                   bound: "bandwidth", effectiveBytes: floatBytes(hValues, fm, outValues, hValues, fm),
                   run: () => weightedSumBackward(h, w, dout), release: disposeOutputs }),
      kernelCase({ op: "projectCandidates", label: "h_m = W_m e_m + b_m (batch-norm path)", shape: mixShape,
                   pass: "forward", bound: "compute", effectiveBytes: floatBytes(eValues, parameterValues, hValues),
                   flops: 2 * batch * fields * dim * S,
                   run: () => projectCandidates(projections, e), release: disposeOutputs }),
      kernelCase({ op: "projectCandidatesBackward", label: "de, dW, db", shape: mixShape, pass: "backward",
                   bound: "compute",
                   effectiveBytes: floatBytes(eValues, parameterValues, hValues, eValues, parameterValues),
                   flops: 2 * 2 * batch * fields * dim * S,
                   run: () => projectCandidatesBackward(projections, e, dh), release: disposeOutputs }),
      kernelCase({ op: "projectAndMix", label: "out = Σ_m w_m (W_m e_m + b_m), fused", shape: mixShape,
                   pass: "forward", bound: "compute", effectiveBytes: floatBytes(eValues, parameterValues, fm, outValues),
                   flops: 2 * batch * fields * dim * K,
                   run: () => projectAndMix(projections, e, w), release: disposeOutputs }),
      kernelCase({ op: "projectAndMixBackward", label: "de, dW, db, dw, fused", shape: mixShape, pass: "backward",
                   bound: "compute",
                   effectiveBytes: floatBytes(eValues, parameterValues, fm, outValues, eValues, parameterValues, fm),
                   flops: 2 * 2 * batch * fields * dim * K + 2 * outValues,
                   run: () => projectAndMixBackward(projections, e, w, dout), release: disposeOutputs }),
    ],
    dispose: () => inputs.dispose(),
  };
}
