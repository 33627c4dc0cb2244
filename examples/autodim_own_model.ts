// AutoDim's search layer under a CTR model of your own. The layer gives each row's field vectors
// from the Gumbel-softmax supernet over the candidate sizes; your model (here a two-layer MLP,
// logit = MLP([v_1, …, v_F])) reads them. The loop is AutoDim's bi-level optimisation:
//
//   τ_t = max(0.01, 1 − 5e-5·t)                       layer.setStep(t)
//   every archEvery-th step: α on a validation batch   layer.archStep({ validationLoss })
//   every step: your weights on a training batch       optimizer (Adam) over the layer's and your weights
//
// and ends with each field's size, argmax_m α_fm: a size plan to retrain any model from.
// It runs as part of test/search/autodim.test.ts (vitest compiles the TypeScript). It imports the
// package's source entry (../ts/index.js); in your project, import the same names from "mixdim".
import { Adam, auc, backward, ctrSplit, functional as F, generateSynthetic, MLP, noGrad, planBytes, Tensor } from "../ts/index.js";
import type { SizePlan } from "../ts/index.js";
// Until the search layer is exported from the package's entry:
import { AutoDimSearchLayer } from "../ts/search/autodim/search_layer.js";

export interface ExampleResult {
  plan: SizePlan;
  untrainedAuc: number;
  testAuc: number;
  archSteps: number;
}

export async function main({ log = console.log }: { log?: (line: string) => void } = {}): Promise<ExampleResult> {
  const data = generateSynthetic({
    numUsers: 500, numItems: 300, numRatings: 12_000, numFields: 4, fieldCardinalities: [10, 60, 400, 2000], seed: 21,
  });
  const fields = data.fields!;
  const numFields = fields.numFields;
  const { train, validation, test } = ctrSplit(fields.clicks.length, { seed: 1 });
  const batch = (rows: Int32Array) => ({
    ids: Int32Array.from({ length: rows.length * numFields },
                         (_, i) => fields.values[rows[Math.floor(i / numFields)]! * numFields + (i % numFields)]!),
    labels: Tensor.from(Float32Array.from(rows, (r) => fields.clicks[r]!), { shape: [rows.length, 1] }),
  });

  const layer = new AutoDimSearchLayer({ fieldCardinalities: fields.cardinalities, candidates: [2, 4, 8, 16], archEvery: 2,
                                         archLearningRate: 0.05, seed: 1 });
  const mlp = new MLP({ sizes: [layer.numFields * layer.dim, 32, 1], seed: 2 });       // your model
  const logits = (ids: Int32Array) => mlp.forward(layer.forward(ids));
  const loss = (rows: Int32Array) => {
    const b = batch(rows);
    return F.bceWithLogits(logits(b.ids), b.labels);
  };
  const testAuc = () => {
    layer.eval();
    mlp.eval();
    const b = batch(test);
    const scores = noGrad(() => logits(b.ids)).value.toArray();
    layer.train();
    mlp.train();
    return auc(scores, b.labels.toArray());
  };

  const untrainedAuc = testAuc();
  const weights = [...layer.weightParameters(), ...mlp.parameters()];
  const optimizer = new Adam(weights, { learningRate: 0.01 });
  const batchSize = 128;
  let t = 0;
  let archSteps = 0;
  let validationStart = 0;
  for (let epoch = 1; epoch <= 3; ++epoch) {
    for (let start = 0; start < train.length; start += batchSize, ++t) {
      layer.setStep(t);
      if (layer.isArchStep(t)) {
        if (validationStart >= validation.length) validationStart = 0;
        const rows = validation.subarray(validationStart, validationStart += batchSize);
        layer.archStep({ validationLoss: () => loss(rows), weights });
        archSteps += 1;
      }
      optimizer.zeroGrad();
      backward(loss(train.subarray(start, start + batchSize)));
      optimizer.step();
    }
    log(`epoch ${epoch}: τ ${layer.tau.toFixed(4)}, test AUC ${testAuc().toFixed(4)}`);
  }

  const plan = layer.plan();
  const sizes = Object.entries(plan.tables).map(([name, d]) => `${name} (${d.length} ids) ${d[0]}`).join(", ");
  const fixed = fields.cardinalities.reduce((n, c) => n + c, 0) * 16 * 4;
  log(`searched sizes: ${sizes}; ${planBytes(plan)} bytes, ${((100 * planBytes(plan)) / fixed).toFixed(1)}% of every id at 16`);
  return { plan, untrainedAuc, testAuc: testAuc(), archSteps };
}
