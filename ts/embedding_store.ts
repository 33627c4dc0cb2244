/**
 * A mixed-dimension embedding table: every id's row has its own size, taken from a set of
 * candidate sizes, and is stored at that size, so memory follows the size plan while training.
 */
import { int32Array, integerInRange, numberInRange } from "./arguments.js";
import { type Device, type DeviceOption, deviceOrdinal, resolveDevice } from "./backend.js";
import { native, type NativeEmbeddingStore, type NativeFloat32, type NativeInt32 } from "./native.js";
import { describe, Tensor } from "./tensor.js";

/**
 * The row-sparse optimizer fused into {@link EmbeddingStore.step}; only rows in the batch move.
 * - `sgd`: w ← w − lr·g
 * - `adam`: lazy Adam, per-element moments updated only for touched rows (PyTorch SparseAdam)
 * - `adagrad`: row-wise Adagrad with one accumulator per row, G ← G + mean(g²) (FBGEMM)
 *
 * `weightDecay` adds λ·w to the gradient of touched rows (L2).
 */
export interface SparseOptimizerOptions {
  type: "sgd" | "adam" | "adagrad";
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface EmbeddingStoreOptions {
  /** Candidate sizes, strictly increasing (at most 16), e.g. [2, 4, 8, 16, 64, 128]. */
  candidates: readonly number[];
  /** The initial size of every row; its length is the initial number of rows. */
  sizes: Int32Array | readonly number[];
  device?: DeviceOption;
  optimizer?: SparseOptimizerOptions;
  /** Seeds the N(0, initStd²) values of new rows. Default 0. */
  seed?: number;
  /** Default 0.01. */
  initStd?: number;
  /** Whether step() rejects NaN or infinite gradients before touching any row. Default true. */
  checkFinite?: boolean;
}

/** Bytes held by a store. `rows` is what the size plan costs; the rest is what is allocated. */
export interface StoreBytes {
  /** Σ_i d_i · 4. */
  rows: number;
  /** Weight storage, free slots and growth slack included. */
  weights: number;
  /** Adam moments or Adagrad accumulators. */
  optimizerState: number;
  /** Location table, slot owners and free lists. */
  index: number;
  total: number;
}

export interface SparseGradient {
  /** The unique ids of the batch, increasing. */
  ids: Tensor<"int32">;
  /** Their summed gradients, [ids.size, maxDim], zero beyond each row's size. */
  values: Tensor<"float32">;
}

const optimizerCodes = { sgd: 0, adam: 1, adagrad: 2 } as const;

/**
 * What readRows/writeRows reach: the weights, or a part of the optimizer state kept beside them
 * (Adam's first and second moments, row-wise Adagrad's one accumulator per row).
 */
export type StoreField = "weights" | "moment1" | "moment2" | "rowState";
const fieldCodes: Record<StoreField, number> = { weights: 0, moment1: 1, moment2: 2, rowState: 3 };

function fieldCode(field: StoreField): number {
  const code = fieldCodes[field];
  if (code === undefined) {
    throw new TypeError(`field must be "weights", "moment1", "moment2" or "rowState", got ${JSON.stringify(field)}`);
  }
  return code;
}

/** Checks an optimizer's options and fills in the defaults, in the addon's terms. */
function nativeOptimizer(optimizer: SparseOptimizerOptions) {
  if (typeof optimizer !== "object" || optimizer === null || !(optimizer.type in optimizerCodes)) {
    throw new TypeError(`optimizer.type must be "sgd", "adam" or "adagrad", got ${JSON.stringify(optimizer?.type)}`);
  }
  return {
    optimizer: optimizerCodes[optimizer.type],
    learningRate: numberInRange(optimizer.learningRate ?? 0.01, "optimizer.learningRate", 0, Infinity, true),
    beta1: numberInRange(optimizer.beta1 ?? 0.9, "optimizer.beta1", 0, 1),
    beta2: numberInRange(optimizer.beta2 ?? 0.999, "optimizer.beta2", 0, 1),
    eps: numberInRange(optimizer.eps ?? 1e-8, "optimizer.eps", 0, Infinity, true),
    weightDecay: numberInRange(optimizer.weightDecay ?? 0, "optimizer.weightDecay", 0, Infinity),
  };
}

type Ids = Tensor<"int32"> | Int32Array | readonly number[];
type Values = Tensor<"float32"> | Float32Array;

export class EmbeddingStore {
  readonly candidates: readonly number[];
  readonly maxDim: number;
  readonly device: Device;
  readonly checkFinite: boolean;
  #native: NativeEmbeddingStore | undefined;
  #learningRate: number;
  #optimizerType: SparseOptimizerOptions["type"];

  /**
   * @example
   * const store = new EmbeddingStore({
   *   candidates: [2, 4, 8, 16, 64, 128],
   *   sizes: [2, 128, 16],
   *   optimizer: { type: "adam", learningRate: 1e-3 },
   * });
   * const rows = store.lookup([2, 0, 2]);       // Tensor [3, 128], zero beyond each row's size
   */
  constructor(options: EmbeddingStoreOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    const candidates = int32Array(options.candidates, "candidates");
    const optimizer = nativeOptimizer(options.optimizer ?? { type: "sgd" });
    this.device = resolveDevice(options.device ?? "cpu");
    this.#learningRate = optimizer.learningRate;
    this.#optimizerType = options.optimizer?.type ?? "sgd";
    this.checkFinite = options.checkFinite ?? true;
    this.#native = new native.EmbeddingStore(
      {
        candidates,
        ...optimizer,
        seed: integerInRange(options.seed ?? 0, "seed", 0, Number.MAX_SAFE_INTEGER),
        initStd: numberInRange(options.initStd ?? 0.01, "initStd", 0, Infinity),
      },
      int32Array(options.sizes, "sizes"),
      deviceOrdinal(this.device),
    );
    this.candidates = Object.freeze([...candidates]);
    this.maxDim = candidates[candidates.length - 1]!;
  }

  get numRows(): number {
    return this.store("numRows").numRows;
  }

  /** Optimizer steps taken; Adam's bias correction uses it. Set it when resuming from a checkpoint. */
  get stepCount(): number {
    return this.store("stepCount").stepCount;
  }

  set stepCount(steps: number) {
    this.store("stepCount").stepCount = integerInRange(steps, "stepCount", 0, Number.MAX_SAFE_INTEGER);
  }

  /** The optimizer's state fields, for checkpoints. */
  get optimizerFields(): StoreField[] {
    return this.#optimizerType === "adam" ? ["moment1", "moment2"] : this.#optimizerType === "adagrad" ? ["rowState"] : [];
  }

  /** The step size for the next step(); set it to follow a schedule. */
  get learningRate(): number {
    return this.#learningRate;
  }

  set learningRate(value: number) {
    this.store("learningRate").setLearningRate(numberInRange(value, "learningRate", 0, Infinity, true));
    this.#learningRate = value;
  }

  /**
   * Gathers rows into a dense [...ids.shape, maxDim] tensor; row i is zero beyond its size d_i.
   * Writes into `out` when given (its values are overwritten).
   */
  lookup(ids: Ids, out?: Values): Tensor<"float32"> {
    const store = this.store("lookup");
    const idTensor = this.idTensor(ids, "ids");
    const shape = [...idTensor.shape, this.maxDim];
    // The kernel writes every element (zeros past each row's size), so a fresh output is left unfilled.
    const output = out === undefined ? Tensor.empty("float32", shape, this.device) : this.valueTensor(out, "out", shape);
    store.lookup(this.int32Argument(idTensor, "ids"), this.float32Argument(output, "out"));
    return output;
  }

  /**
   * The backward pass of lookup: given dL/d(out), the unique rows touched and their summed
   * gradients. Rows repeated in the batch are summed in batch order, so the result is deterministic.
   */
  sparseGradient(ids: Ids, gradOut: Values): SparseGradient {
    const store = this.store("sparseGradient");
    const idTensor = this.idTensor(ids, "ids");
    const gradTensor = this.valueTensor(gradOut, "gradOut", [...idTensor.shape, this.maxDim]);
    const result = store.sparseGradient(this.int32Argument(idTensor, "ids"), this.float32Argument(gradTensor, "gradOut"));
    if (result.ids instanceof Int32Array && result.values instanceof Float32Array) {
      return {
        ids: Tensor.from(result.ids),
        values: Tensor.from(result.values, { shape: [result.ids.length, this.maxDim] }),
      };
    }
    const unique = (result.ids as { byteLength: number }).byteLength / 4;
    return {
      ids: Tensor.fromDeviceBuffer("int32", [unique], result.ids as Exclude<NativeInt32, Int32Array>),
      values: Tensor.fromDeviceBuffer("float32", [unique, this.maxDim], result.values as Exclude<NativeFloat32, Float32Array>),
    };
  }

  /**
   * The backward pass of lookup fused with the store's optimizer: each unique row's gradient
   * is summed and applied at once, and no gradient tensor is ever built.
   */
  step(ids: Ids, gradOut: Values): void {
    const store = this.store("step");
    const idTensor = this.idTensor(ids, "ids");
    const gradTensor = this.valueTensor(gradOut, "gradOut", [...idTensor.shape, this.maxDim]);
    store.step(this.int32Argument(idTensor, "ids"), this.float32Argument(gradTensor, "gradOut"), this.checkFinite);
  }

  /**
   * Switches the fused optimizer. Another type starts from zeroed state and step 0; the same
   * type keeps its moments or accumulators and takes the new hyperparameters.
   */
  setOptimizer(optimizer: SparseOptimizerOptions): void {
    const options = nativeOptimizer(optimizer);
    this.store("setOptimizer").setOptimizer(options);
    this.#learningRate = options.learningRate;
    this.#optimizerType = optimizer.type;
  }

  /** Appends rows of the given sizes with fresh seeded values; returns the first new id. */
  addRows(sizes: Int32Array | readonly number[]): number {
    return this.store("addRows").addRows(int32Array(sizes, "sizes"));
  }

  /**
   * Changes the size of each listed row. Without `init`, a shrinking row is truncated and a
   * growing row is zero-extended, keeping its optimizer state likewise. With `init`
   * ([ids.length, maxDim]), row i takes init's first sizes[i] values, e.g. W·e + b for a
   * projection-chain enlarge, and its optimizer state starts afresh. Freed slots are reused.
   */
  resize(ids: Int32Array | readonly number[], sizes: Int32Array | readonly number[], init?: Values): void {
    const store = this.store("resize");
    const idArray = int32Array(ids, "ids");
    const initArgument = init === undefined
      ? null
      : this.float32Argument(this.valueTensor(init, "init", [idArray.length, this.maxDim]), "init");
    store.resize(idArray, int32Array(sizes, "sizes"), initArgument);
  }

  /**
   * A host copy of the listed rows, [ids.length, maxDim], zero beyond each row's size; or of a
   * part of the optimizer state (`rowState` has one value per row, in column 0).
   */
  readRows(ids: Int32Array | readonly number[], field: StoreField = "weights"): Float32Array {
    const idArray = int32Array(ids, "ids");
    const out = new Float32Array(idArray.length * this.maxDim);
    this.store("readRows").readRows(idArray, out, fieldCode(field));
    return out;
  }

  /** Sets the listed rows (or their optimizer state) from host values [ids.length, maxDim]; each row takes its first d_i values. */
  writeRows(ids: Int32Array | readonly number[], values: Float32Array, field: StoreField = "weights"): void {
    this.store("writeRows").writeRows(int32Array(ids, "ids"), values, fieldCode(field));
  }

  /** Every row's current size. */
  sizes(): Int32Array {
    const store = this.store("sizes");
    const out = new Int32Array(store.numRows);
    store.rowSizes(out);
    return out;
  }

  /** Exact bytes held now. */
  bytes(): StoreBytes {
    return this.store("bytes").bytes();
  }

  /** Moves rows out of freed slots and trims storage to the rows held (done automatically past 1/8 slack). */
  compact(): void {
    this.store("compact").compact();
  }

  /** Frees the store's memory now. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }

  private store(method: string): NativeEmbeddingStore {
    if (this.#native === undefined) throw new Error(`${method}: the store is disposed`);
    return this.#native;
  }

  private idTensor(ids: Ids, argument: string): Tensor<"int32"> {
    if (ids instanceof Tensor) {
      if (ids.dtype !== "int32") throw new TypeError(`${argument} must be an int32 tensor, got ${ids.dtype}`);
      return ids as Tensor<"int32">;
    }
    return Tensor.from(int32Array(ids, argument));
  }

  private valueTensor(values: Values, argument: string, shape: readonly number[]): Tensor<"float32"> {
    if (values instanceof Tensor) {
      if (values.dtype !== "float32") throw new TypeError(`${argument} must be a float32 tensor, got ${values.dtype}`);
      if (values.shape.length !== shape.length || values.shape.some((extent, axis) => extent !== shape[axis])) {
        throw new RangeError(`${argument} has shape [${values.shape.join(", ")}] but must have [${shape.join(", ")}]`);
      }
      return values as Tensor<"float32">;
    }
    if (!(values instanceof Float32Array)) {
      throw new TypeError(`${argument} must be a Float32Array or a float32 Tensor, got ${describe(values)}`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) {
      throw new RangeError(`${argument} has length ${values.length} but must have ${size} ([${shape.join(", ")}])`);
    }
    return Tensor.from(values, { shape });
  }

  private int32Argument(tensor: Tensor<"int32">, argument: string): NativeInt32 {
    this.expectDevice(tensor, argument);
    return tensor.nativeArgument(argument);
  }

  private float32Argument(tensor: Tensor<"float32">, argument: string): NativeFloat32 {
    this.expectDevice(tensor, argument);
    return tensor.nativeArgument(argument);
  }

  private expectDevice(tensor: Tensor, argument: string): void {
    if (tensor.device !== this.device) {
      throw new TypeError(`${argument} is on ${tensor.device} but the store is on ${this.device}; ` +
                          `move it with Tensor.from(array, { device: "${this.device}" }) or tensor.to("${this.device}")`);
    }
  }
}
