/**
 * A model-based property test of EmbeddingStore: random sequences of every store operation run
 * against the store and against ExactStoreModel, and after each command the two must agree bit
 * for bit (rows, optimizer state, sizes, step count, plan bytes). Tests of single calls missed
 * compact() after addRows() reading a freed location table; sequences find such interactions,
 * and fast-check shrinks a failure to a minimal sequence, printed with the seed to replay it.
 *
 * Runs on the CPU, and on a CUDA device wherever one is present (the emulated one included).
 * MIXDIM_STORE_MODEL_RUNS sets the number of sequences (CI's sanitizer run raises it).
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { backend, EmbeddingStore, Tensor, type Device, type StoreField } from "mixdim";
import { native } from "../ts/native.js";
import { ExactStoreModel, type ModelOptimizer, type ModelOptimizerType, stateFields } from "./support/exact_store_model.js";
import { rng, testSeed } from "./support/random.js";

const runs = Number(process.env.MIXDIM_STORE_MODEL_RUNS ?? 40);
const maxCommands = 60;
const candidateSets = [[1, 2, 4, 8], [2, 4, 8, 16], [3, 5, 16, 32]] as const;
const devices: [string, Device][] = backend().cudaDevices.length > 0 ? [["CPU", "cpu"], ["CUDA device", "cuda"]] : [["CPU", "cpu"]];

/** The pair under test, and what the commands need to act on both. */
interface Real {
  store: EmbeddingStore;
  device: Device;
  candidates: readonly number[];
  disposed: boolean;
  previous?: StoreCommand;
  /** AddressSanitizer reports before the sequence (CI's sanitizer build counts them; others stay at 0). */
  sanitizerReports: number;
}

/** How often the sequences reached the states that matter, so that a test that never got there fails. */
const reached = { sequences: 0, commands: 0, automaticCompactions: 0, compactsAfterAddRows: 0, steps: 0 };

// ---- Inputs drawn by the commands themselves from a seed, so that arbitraries stay small ----

function floats(seed: number, n: number, scale = 1): Float32Array {
  const random = rng(seed);
  return Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
}

/** The distinct ids the picks name in [0, numRows), in the order drawn. */
function distinctIds(picks: readonly number[], numRows: number): number[] {
  return numRows === 0 ? [] : [...new Set(picks.map((p) => p % numRows))];
}

function batchIds(picks: readonly number[], numRows: number): number[] {
  return numRows === 0 ? [] : picks.map((p) => p % numRows);
}

/** A batch of ids the picks name and its gradient rows [ids.length, maxDim], drawn from the seed. */
function gradientBatch(model: ExactStoreModel, picks: readonly number[], seed: number): { ids: Int32Array; grad: Float32Array } {
  const ids = Int32Array.from(batchIds(picks, model.numRows));
  return { ids, grad: floats(seed, ids.length * model.maxDim) };
}

function onDevice<A extends Float32Array | Int32Array>(real: Real, data: A, shape: number[]): A | Tensor {
  return real.device === "cpu" ? data : Tensor.from(data, { shape, device: real.device });
}

// ---- The commands ----

abstract class StoreCommand implements fc.Command<ExactStoreModel, Real> {
  check(): boolean {
    return true;
  }

  run(model: ExactStoreModel, real: Real): void {
    reached.commands += 1;
    if (this instanceof Compact && real.previous instanceof AddRows) reached.compactsAfterAddRows += 1;
    real.previous = this;
    if (real.disposed) {
      expect(() => this.act(model, real)).toThrow(/disposed/);
      return;
    }
    this.act(model, real);
    expectSame(model, real);
  }

  abstract act(model: ExactStoreModel, real: Real): void;
  abstract toString(): string;
}

class AddRows extends StoreCommand {
  constructor(readonly classes: number[]) {
    super();
  }
  act(model: ExactStoreModel, real: Real): void {
    const sizes = this.classes.map((c) => real.candidates[c % real.candidates.length]!);
    expect(real.store.addRows(sizes)).toBe(model.addRows(sizes));
  }
  toString(): string {
    return `addRows(classes ${JSON.stringify(this.classes)})`;
  }
}

class Resize extends StoreCommand {
  constructor(readonly picks: number[], readonly classes: number[], readonly init: "none" | "given", readonly seed: number) {
    super();
  }
  act(model: ExactStoreModel, real: Real): void {
    const ids = distinctIds(this.picks, model.numRows);
    const sizes = ids.map((_, i) => real.candidates[this.classes[i % this.classes.length]! % real.candidates.length]!);
    const weightsBefore = real.store.bytes().weights;
    const init = this.init === "given" ? floats(this.seed, ids.length * model.maxDim) : undefined;
    real.store.resize(ids, sizes, init && onDevice(real, init, [ids.length, model.maxDim]));
    model.resize(ids, sizes, init);
    // Only a compaction gives weight storage back.
    if (real.store.bytes().weights < weightsBefore) reached.automaticCompactions += 1;
  }
  toString(): string {
    return `resize(picks ${JSON.stringify(this.picks)}, classes ${JSON.stringify(this.classes)}, init ${this.init}, seed ${this.seed})`;
  }
}

class Compact extends StoreCommand {
  act(model: ExactStoreModel, real: Real): void {
    real.store.compact();
    // Trimmed to the rows held: weights are the plan's bytes, the index one location and one owner
    // per row, and on CUDA one more location per row, in the table's copy on the device.
    const bytes = real.store.bytes();
    expect(bytes.weights).toBe(model.rowBytes());
    expect(bytes.index).toBe((real.device === "cpu" ? 8 : 12) * model.numRows);
  }
  toString(): string {
    return "compact()";
  }
}

class Lookup extends StoreCommand {
  constructor(readonly picks: number[]) {
    super();
  }
  act(model: ExactStoreModel, real: Real): void {
    const ids = Int32Array.from(batchIds(this.picks, model.numRows));
    const out = real.store.lookup(onDevice(real, ids, [ids.length]));
    expectBits(out.toArray(), model.lookup(ids), "lookup");
  }
  toString(): string {
    return `lookup(picks ${JSON.stringify(this.picks)})`;
  }
}

class Step extends StoreCommand {
  constructor(readonly picks: number[], readonly seed: number) {
    super();
  }
  act(model: ExactStoreModel, real: Real): void {
    const { ids, grad } = gradientBatch(model, this.picks, this.seed);
    real.store.step(onDevice(real, ids, [ids.length]), onDevice(real, grad, [ids.length, model.maxDim]));
    model.step(ids, grad);
    reached.steps += 1;
  }
  toString(): string {
    return `step(picks ${JSON.stringify(this.picks)}, seed ${this.seed})`;
  }
}

class SparseGradient extends StoreCommand {
  constructor(readonly picks: number[], readonly seed: number) {
    super();
  }
  act(model: ExactStoreModel, real: Real): void {
    const { ids, grad } = gradientBatch(model, this.picks, this.seed);
    const actual = real.store.sparseGradient(onDevice(real, ids, [ids.length]), onDevice(real, grad, [ids.length, model.maxDim]));
    const expected = model.sparseGradient(ids, grad);
    expect(Array.from(actual.ids.toArray())).toEqual(expected.ids);
    expectBits(actual.values.toArray(), expected.values, "sparse gradient");
  }
  toString(): string {
    return `sparseGradient(picks ${JSON.stringify(this.picks)}, seed ${this.seed})`;
  }
}

class WriteRows extends StoreCommand {
  constructor(readonly picks: number[], readonly field: number, readonly seed: number) {
    super();
  }
  act(model: ExactStoreModel, real: Real): void {
    const fields: StoreField[] = ["weights", ...stateFields[model.optimizer.type]];
    const field = fields[this.field % fields.length]!;
    const ids = distinctIds(this.picks, model.numRows);
    const values = floats(this.seed, ids.length * model.maxDim, field === "weights" ? 1 : 0.5);
    if (field !== "weights") values.forEach((v, i) => (values[i] = Math.abs(v)));  // second moments and accumulators are ≥ 0
    real.store.writeRows(ids, values, field);
    model.write(ids, values, field);
  }
  toString(): string {
    return `writeRows(picks ${JSON.stringify(this.picks)}, field #${this.field}, seed ${this.seed})`;
  }
}

class SetOptimizer extends StoreCommand {
  constructor(readonly optimizer: ModelOptimizer) {
    super();
  }
  act(model: ExactStoreModel, real: Real): void {
    real.store.setOptimizer(this.optimizer);
    model.setOptimizer(this.optimizer);
  }
  toString(): string {
    return `setOptimizer(${JSON.stringify(this.optimizer)})`;
  }
}

class SetLearningRate extends StoreCommand {
  constructor(readonly learningRate: number) {
    super();
  }
  act(model: ExactStoreModel, real: Real): void {
    real.store.learningRate = this.learningRate;
    model.setLearningRate(this.learningRate);
  }
  toString(): string {
    return `learningRate = ${this.learningRate}`;
  }
}

class Dispose extends StoreCommand {
  run(model: ExactStoreModel, real: Real): void {
    reached.commands += 1;
    real.store.dispose();
    real.disposed = true;
    expect(() => real.store.bytes()).toThrow(/disposed/);
    expect(() => real.store.lookup(new Int32Array(0))).toThrow(/disposed/);
    void model;
  }
  act(): void {}
  toString(): string {
    return "dispose()";
  }
}

/** Equal bits (so −0 ≠ 0), reported at the first element that differs. */
function expectBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const first = a.findIndex((bits, i) => bits !== b[i]);
  if (first >= 0) expect(actual[first], `${what}: element ${first} of ${actual.length}`).toBe(expected[first]);
}

/** After every command: the same sizes, rows, optimizer state, step count and plan bytes. */
function expectSame(model: ExactStoreModel, real: Real): void {
  const store = real.store;
  expect(store.numRows).toBe(model.numRows);
  expect(Array.from(store.sizes())).toEqual(model.sizes());
  expect(store.stepCount).toBe(model.stepCount);
  const all = Array.from({ length: model.numRows }, (_, id) => id);
  // Ids 1… first, then id 0. Should the kernels read a freed location table, its first 8 bytes hold
  // the allocator's bookkeeping (ASan's free context), and following id 0's entry would crash the
  // process; the other entries still hold the right locations, so the sanitizer's report fails the
  // check first, and fast-check can shrink the sequence.
  for (const ids of [all.slice(1), all.slice(0, 1)]) {
    const batch = Int32Array.from(ids);
    expectBits(store.lookup(onDevice(real, batch, [batch.length])).toArray(), model.lookup(ids), `rows ${ids[0]}…`);
    expect(native.sanitizerReports(), "AddressSanitizer reports (see stderr)").toBe(real.sanitizerReports);
  }
  for (const field of stateFields[model.optimizer.type]) expectBits(store.readRows(all, field), model.read(all, field), field);
  const bytes = store.bytes();
  expect(bytes.rows).toBe(model.rowBytes());
  expect(bytes.weights).toBeGreaterThanOrEqual(bytes.rows);
  expect(bytes.total).toBe(bytes.weights + bytes.optimizerState + bytes.index);
  if (model.optimizer.type === "adam") expect(bytes.optimizerState).toBe(2 * bytes.weights);
  if (model.optimizer.type === "sgd") expect(bytes.optimizerState).toBe(0);
}

// ---- Arbitraries ----

const optimizerTypes: ModelOptimizerType[] = ["sgd", "adam", "adagrad"];
const optimizerArbitrary: fc.Arbitrary<ModelOptimizer> = fc.record({
  type: fc.constantFrom(...optimizerTypes),
  learningRate: fc.constantFrom(0.5, 0.05, 1e-3),
  beta1: fc.constantFrom(0.9, 0.5),
  beta2: fc.constantFrom(0.999, 0.9),
  eps: fc.constantFrom(1e-8, 1e-3),
  weightDecay: fc.constantFrom(0, 0.01),
});
// "max": lengths over the whole range, so that resizes free enough slots for a class to compact itself.
const picks = (max: number) => fc.array(fc.nat(), { maxLength: max, size: "max" });
const classList = (max: number) => fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: max, size: "max" });
const seed = fc.nat();

/** Every command, dispose() rarely: after it, the rest of a sequence only checks that calls throw. */
function commandArbitrary(): fc.Arbitrary<StoreCommand> {
  const often = (arbitrary: fc.Arbitrary<StoreCommand>) => ({ arbitrary, weight: 10 });
  return fc.oneof(
    often(classList(90).map((c) => new AddRows(c))),
    often(fc.tuple(picks(300), classList(4), fc.constantFrom("none" as const, "given" as const), seed)
      .map(([p, c, i, s]) => new Resize(p, c, i, s))),
    often(fc.constant(null).map(() => new Compact())),
    often(picks(64).map((p) => new Lookup(p))),
    often(fc.tuple(picks(64), seed).map(([p, s]) => new Step(p, s))),
    often(fc.tuple(picks(64), seed).map(([p, s]) => new SparseGradient(p, s))),
    often(fc.tuple(picks(40), fc.nat({ max: 2 }), seed).map(([p, field, s]) => new WriteRows(p, field, s))),
    often(optimizerArbitrary.map((o) => new SetOptimizer(o))),
    often(fc.constantFrom(0.2, 0.01).map((lr) => new SetLearningRate(lr))),
    { arbitrary: fc.constant(null).map(() => new Dispose()), weight: 1 },
  );
}

describe.each(devices)("EmbeddingStore on the %s against the exact model", (_, device) => {
  it("agrees bit for bit after every command of random sequences", () => {
    const start = fc.record({
      candidates: fc.constantFrom(...candidateSets),
      classes: classList(600),
      optimizer: optimizerArbitrary,
      seed: fc.nat({ max: 2 ** 31 }),
    });
    fc.assert(
      fc.property(start, fc.commands([commandArbitrary()], { maxCommands, size: "max" }), (initial, commands) => {
        const maxDim = initial.candidates[initial.candidates.length - 1]!;
        const sizes = initial.classes.map((c) => initial.candidates[c]!);
        const setup = () => {
          const model = new ExactStoreModel(maxDim, initial.seed, 0.1, initial.optimizer);
          model.addRows(sizes);
          const store = new EmbeddingStore({
            candidates: initial.candidates, sizes, optimizer: initial.optimizer, seed: initial.seed, initStd: 0.1, device,
          });
          const real: Real = {
            store, device, candidates: initial.candidates, disposed: false, sanitizerReports: native.sanitizerReports(),
          };
          expectSame(model, real);
          return { model, real };
        };
        reached.sequences += 1;
        fc.modelRun(setup, commands);
      }),
      { seed: testSeed(`store model on ${device}`), numRuns: runs },
    );
  });
});

afterAll(() => {
  // Not vacuous: the sequences grew, shrank, compacted (by hand and by themselves) and stepped.
  console.log(`store model: ${JSON.stringify(reached)}`);
  if (reached.sequences === 0) return;  // filtered out by name
  expect(reached.commands).toBeGreaterThan(reached.sequences * 10);
  expect(reached.compactsAfterAddRows).toBeGreaterThan(0);
  expect(reached.automaticCompactions).toBeGreaterThan(0);
  expect(reached.steps).toBeGreaterThan(0);
});
