// A model of your own on mixdim's mixed-dimension embeddings: a dot-product recommender,
// score(u, i) = ⟨P_u·e_u, P_i·e_i⟩, where e_u and e_i come from mixed-size tables (active ids
// get wide rows, rare ids narrow ones) and P projects every row to a common width. Trained with
// autograd and Adam, whose row-sparse update only touches the rows a batch used.
//
//   node examples/own_model.mjs
import {
  Adam, auc, backward, binaryLabels, functional as F, generateSynthetic, Linear, MixedDimEmbedding, noGrad,
  streamSplit, Tensor, Variable,
} from "mixdim";

const data = generateSynthetic({ numUsers: 2000, numItems: 1000, numRatings: 200_000, seed: 7 });
const { train, test } = streamSplit(data, { order: "time", trainFraction: 0.8 });
const labels = binaryLabels(data.ratings);

// Sizes by activity: the 10% most frequent ids at 32, the next 30% at 8, the rest at 2.
function sizesByFrequency(ids, count) {
  const frequency = new Int32Array(count);
  for (const id of ids) frequency[id] += 1;
  const byRank = Int32Array.from({ length: count }, (_, i) => i).sort((a, b) => frequency[b] - frequency[a]);
  const sizes = new Int32Array(count).fill(2);
  byRank.forEach((id, rank) => { sizes[id] = rank < 0.1 * count ? 32 : rank < 0.4 * count ? 8 : 2; });
  return sizes;
}
const candidates = [2, 8, 32];
const users = new MixedDimEmbedding({ candidates, sizes: sizesByFrequency(data.users, data.numUsers), seed: 1, initStd: 0.1 });
const items = new MixedDimEmbedding({ candidates, sizes: sizesByFrequency(data.items, data.numItems), seed: 2, initStd: 0.1 });
const projectUsers = new Linear({ inFeatures: 32, outFeatures: 16, seed: 3 });
const projectItems = new Linear({ inFeatures: 32, outFeatures: 16, seed: 4 });
const sumColumns = new Variable(Tensor.from(new Float32Array(16).fill(1), { shape: [16, 1] }));

const logits = (u, i) => F.linear(F.times(projectUsers.forward(users.forward(u)), projectItems.forward(items.forward(i))), sumColumns);
const batch = (rows) => ({
  users: Int32Array.from(rows, (r) => data.users[r]),
  items: Int32Array.from(rows, (r) => data.items[r]),
  labels: Float32Array.from(rows, (r) => labels[r]),
});

const optimizer = new Adam([users, items, projectUsers, projectItems].flatMap((m) => m.parameters()), { learningRate: 0.01 });
for (let epoch = 1; epoch <= 3; ++epoch) {
  let total = 0;
  for (let start = 0; start < train.length; start += 1000) {
    const b = batch(train.subarray(start, start + 1000));
    const loss = F.bceWithLogits(logits(b.users, b.items), Tensor.from(b.labels, { shape: [b.labels.length, 1] }));
    optimizer.zeroGrad();
    backward(loss);
    optimizer.step();
    total += loss.value.toArray()[0] * b.labels.length;
  }
  const held = batch(test);
  const scores = noGrad(() => logits(held.users, held.items)).value.toArray();
  console.log(`epoch ${epoch}: train log loss ${(total / train.length).toFixed(4)}, test AUC ${auc(scores, held.labels).toFixed(4)}`);
}
const bytes = users.store.bytes().rows + items.store.bytes().rows;
const fixed = (data.numUsers + data.numItems) * 32 * 4;
console.log(`embedding bytes: ${bytes} (${((100 * bytes) / fixed).toFixed(1)}% of every id at 32)`);
