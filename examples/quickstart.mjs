// mixdim quickstart: a mixed-dimension embedding table trained with a fused lazy-Adam step.
//
// Ids arrive Zipf-distributed, as users and items do. Frequent ids get large rows and rare ids
// small ones, so the table costs a fraction of a fixed 128-wide table. Each id has a hidden
// vector (zero beyond its size), and the table learns it from batches: loss = mean ‖e_id − v_id‖².
//
//   node examples/quickstart.mjs
import { backend, EmbeddingStore, Tensor } from "mixdim";

const numIds = 50_000;
const candidates = [2, 4, 8, 16, 64, 128];
const batch = 4096;
const steps = 300;

// A seeded generator, so every run prints the same numbers.
let state = 12345;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// Id r has probability ∝ 1/(r+1): draw by inverting the cumulative sum.
const cumulative = new Float64Array(numIds);
for (let r = 0, sum = 0; r < numIds; ++r) cumulative[r] = sum += 1 / (r + 1);
const drawId = () => {
  const u = random() * cumulative[numIds - 1];
  let lo = 0, hi = numIds - 1;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (cumulative[mid] < u) lo = mid + 1; else hi = mid; }
  return lo;
};

// Frequent ids (low ranks) get the large sizes.
const sizes = Int32Array.from({ length: numIds }, (_, r) =>
  r < 100 ? 128 : r < 1000 ? 64 : r < 5000 ? 16 : r < 15000 ? 8 : r < 30000 ? 4 : 2);
const maxDim = 128;
const hidden = new Float32Array(numIds * maxDim);
for (let id = 0; id < numIds; ++id) {
  for (let j = 0; j < sizes[id]; ++j) hidden[id * maxDim + j] = random() * 2 - 1;
}

const store = new EmbeddingStore({ candidates, sizes, optimizer: { type: "adam", learningRate: 0.05 }, seed: 1 });
const info = backend();
console.log(`mixdim on ${info.threads} CPU threads; CUDA compiled in: ${info.cudaCompiled}`);

const ids = new Int32Array(batch);
const grad = new Float32Array(batch * maxDim);
const out = Tensor.from(new Float32Array(batch * maxDim), { shape: [batch, maxDim] });
const started = performance.now();
for (let step = 1; step <= steps; ++step) {
  for (let b = 0; b < batch; ++b) ids[b] = drawId();
  const rows = store.lookup(ids, out).toArray();
  let loss = 0;
  for (let b = 0; b < batch; ++b) {
    for (let j = 0; j < maxDim; ++j) {
      const diff = rows[b * maxDim + j] - hidden[ids[b] * maxDim + j];
      loss += diff * diff;
      grad[b * maxDim + j] = (2 * diff) / batch;
    }
  }
  store.step(ids, grad);
  if (step === 1 || step % 50 === 0) console.log(`step ${String(step).padStart(3)}  loss ${(loss / batch).toFixed(4)}`);
}
const seconds = (performance.now() - started) / 1000;
const bytes = store.bytes();
const fixedBytes = numIds * maxDim * 4;
console.log(`${((steps * batch) / seconds).toFixed(0)} samples/s`);
console.log(`embedding rows: ${(bytes.rows / 2 ** 20).toFixed(2)} MiB, ` +
            `${((100 * bytes.rows) / fixedBytes).toFixed(1)}% of a fixed 128-wide table ` +
            `(${(fixedBytes / 2 ** 20).toFixed(2)} MiB)`);
