/**
 * Your own model, sized by ESAPN. A two-tower dot-product recommender over mixdim's
 * mixed-dimension embeddings: each id's row has its own size, and a projection chain carries it
 * to a common width, where
 *
 *   score(u, i) = ⟨P_u · chain_u(e_u), P_i · chain_i(e_i)⟩ + b,   trained with BCE on "rating > 3.5".
 *
 * None of this is one of mixdim's base models. The ESAPN controller plugs into the loop: every id
 * starts at the smallest size, and each batch its policies decide which ids grow one size. The
 * table only ever holds each id's current size, so memory while training is the final plan's.
 *
 * Node 20 cannot run TypeScript directly; the test suite runs main() (test/search/esapn.test.ts).
 */
import {
  Adam, auc, backward, bceWithLogitsLoss, binaryLabels, functional as F, generateSynthetic, Linear, MixedDimEmbedding,
  noGrad, ProjectionChain, streamSplit, Tensor, Variable,
} from "mixdim";
// Once the controller is exported from "mixdim", these come from there too.
import { EsapnController, type EsapnBatch } from "../ts/search/esapn/controller.js";
import { RunningFrequency } from "../ts/search/esapn/running_frequency.js";

export interface OwnModelOptions {
  numRatings?: number;
  batchSize?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface OwnModelResult {
  /** AUC on the test tail, each batch scored before the model trains on it. */
  testAuc: number;
  /** Accuracy of score > 0 on the test tail, and of always answering the training head's majority label. */
  testAccuracy: number;
  majorityAccuracy: number;
  /** The largest embedding bytes held while training, and the final plan's. */
  peakBytes: number;
  planBytes: number;
  /** Every id at the largest size. */
  fixedBytes: number;
  /** Each id's final size, per table. */
  sizes: { users: Int32Array; items: Int32Array };
}

export function main({ numRatings = 60_000, batchSize = 500, seed = 7, log = console.log }: OwnModelOptions = {}): OwnModelResult {
  const data = generateSynthetic({ numUsers: 1500, numItems: 800, numRatings, seed });
  const labels = binaryLabels(data.ratings);
  const { train, test } = streamSplit(data, { order: "time", trainFraction: 0.8 });

  // The model: mixed-size tables starting at 2, chains to 32, a projection per tower and a bias.
  const candidates = [2, 4, 8, 16, 32];
  const users = new MixedDimEmbedding({ candidates, sizes: new Int32Array(data.numUsers).fill(2), seed: 1, initStd: 0.1 });
  const items = new MixedDimEmbedding({ candidates, sizes: new Int32Array(data.numItems).fill(2), seed: 2, initStd: 0.1 });
  const userChain = new ProjectionChain({ dims: candidates, seed: 3 });
  const itemChain = new ProjectionChain({ dims: candidates, seed: 4 });
  const projectUsers = new Linear({ inFeatures: 32, outFeatures: 16, seed: 5 });
  const projectItems = new Linear({ inFeatures: 32, outFeatures: 16, bias: false, seed: 6 });
  const sumColumns = new Variable(Tensor.from(new Float32Array(16).fill(1), { shape: [16, 1] }));
  const tower = (embedding: MixedDimEmbedding, chain: ProjectionChain, ids: Int32Array) => {
    const sizes = embedding.sizes();
    return chain.forward(embedding.forward(ids), Int32Array.from(ids, (id) => sizes[id]!));
  };
  const score = (u: Int32Array, i: Int32Array) =>
    F.linear(F.times(projectUsers.forward(tower(users, userChain, u)), projectItems.forward(tower(items, itemChain, i))), sumColumns);
  const modules = [users, items, userChain, itemChain, projectUsers, projectItems];
  const optimizer = new Adam(modules.flatMap((m) => m.parameters()), { learningRate: 0.01 });

  // The controller: one policy per table, resizing the tables above.
  const controller = new EsapnController({
    sides: { users: { embedding: users, chain: userChain }, items: { embedding: items, chain: itemChain } }, seed,
  });
  const userFrequency = new RunningFrequency(data.numUsers);
  const itemFrequency = new RunningFrequency(data.numItems);

  interface Batch { users: Int32Array; items: Int32Array; labels: Tensor<"float32">; state: EsapnBatch }
  const batchOf = (rows: Int32Array): Batch => {
    const u = Int32Array.from(rows, (r) => data.users[r]!);
    const i = Int32Array.from(rows, (r) => data.items[r]!);
    return {
      users: u, items: i, labels: Tensor.from(Float32Array.from(rows, (r) => labels[r]!), { shape: [rows.length, 1] }),
      state: { users: { ids: u, frequencies: userFrequency.next(u) }, items: { ids: i, frequencies: itemFrequency.next(i) } },
    };
  };

  let previous: Batch | undefined;
  let peakBytes = 0;
  const testScores: number[] = [];
  const testLabels: number[] = [];
  for (const [phase, rows] of [["train", train], ["test", test]] as const) {
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = batchOf(rows.subarray(start, start + batchSize));
      // The controller learns from the previous batch: how its losses moved after the step on it.
      if (previous !== undefined) {
        const after = noGrad(() => score(previous!.users, previous!.items));
        controller.update(bceWithLogitsLoss(after.value, previous.labels, { perSample: true, gradient: false }).perSample!.toArray());
      }
      controller.act(batch.state);
      const logits = score(batch.users, batch.items);
      const loss = bceWithLogitsLoss(logits.value, batch.labels, { perSample: true });
      if (phase === "test") {
        testScores.push(...logits.value.toArray());
        testLabels.push(...batch.labels.toArray());
      }
      optimizer.zeroGrad();
      backward(logits, loss.grad);
      optimizer.step();
      controller.observe(batch.state, loss.perSample!.toArray());
      previous = batch;
      peakBytes = Math.max(peakBytes, controller.memory().bytes);
    }
  }

  const positives = Array.from(train, (r) => labels[r]!).reduce((a, b) => a + b, 0) / train.length;
  const majority = positives >= 0.5 ? 1 : 0;
  const result: OwnModelResult = {
    testAuc: auc(Float32Array.from(testScores), Float32Array.from(testLabels)),
    testAccuracy: testScores.filter((s, b) => (s > 0 ? 1 : 0) === testLabels[b]).length / testScores.length,
    majorityAccuracy: testLabels.filter((y) => y === majority).length / testLabels.length,
    peakBytes,
    planBytes: controller.memory().rowBytes,
    fixedBytes: controller.memory().fixedBytes,
    sizes: { users: users.sizes(), items: items.sizes() },
  };
  log(`test AUC ${result.testAuc.toFixed(4)}, accuracy ${result.testAccuracy.toFixed(4)} (majority ${result.majorityAccuracy.toFixed(4)})`);
  log(`embedding bytes: ${result.planBytes} (${((100 * result.planBytes) / result.fixedBytes).toFixed(1)}% of every id at 32), ` +
      `at most ${result.peakBytes} while training`);
  return result;
}
