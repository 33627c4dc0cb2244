/**
 * Per-field tables for CTR models over F categorical fields (FM, Wide&Deep, DeepFM).
 *
 * A batch is F ids per row, row-major [B, F] (as generateSynthetic's `fields.values`): field f of
 * row b is fields[b·F + f], in [0, cardinality_f). The size plan names field f's table
 * `field<f>` ("field0", …, "field{F−1}"; fieldTableName), and the length of that table is the
 * field's cardinality. Extra tables in the plan (users, items) are ignored.
 *
 * FieldEmbeddings gives every row F vectors of one common size D, side by side as [B, F·D]:
 * - field f's MixedDimEmbedding takes the plan's candidates up to d_max,f, the largest size the
 *   plan gives any of its ids, so its lookups are [B, d_max,f], each id zero beyond its own size;
 * - a field whose d_max,f ≠ D is carried to D by its own Linear(d_max,f → D, no bias), as MDE's
 *   PrEmbeddingBag does (identity where the size already is D), so a uniform plan has no
 *   projections at all and a mixed plan keeps every interaction in one D-dimensional space.
 *   D defaults to the largest size in the plan.
 * FieldLinear is the first-order term w0 + Σ_f w_f[x_f], a size-1 table per field.
 */
import { int32Array, integerInRange } from "../arguments.js";
import { concat } from "../autograd/ops/concat_op.js";
import { linear } from "../autograd/ops/linear_op.js";
import { Variable } from "../autograd/variable.js";
import { resolveDevice, type Device, type DeviceOption } from "../backend.js";
import { deriveSeed } from "../data/seeds.js";
import { Linear } from "../modules/linear.js";
import { Embedding, MixedDimEmbedding } from "../modules/mixed_dim_embedding.js";
import { Module, type Parameter } from "../modules/module.js";
import { constantParameter } from "../modules/parameter_init.js";
import { fixedPlan, type SizePlan } from "../plan/size_plan.js";
import { describe, Tensor } from "../tensor.js";

/** The plan's name for field f's table. */
export const fieldTableName = (field: number): string => `field${field}`;

/** Every id of every field at `dim`: the FIXED plan of a CTR data set with these cardinalities. */
export function fixedFieldPlan(cardinalities: ArrayLike<number>, dim: number): SizePlan {
  return fixedPlan(Object.fromEntries(Array.from(cardinalities, (n, f) => [fieldTableName(f), n])), dim);
}

/** F ids per row: an int32 tensor [B, F], or an Int32Array holding B·F ids row-major. */
export type FieldBatch = Tensor<"int32"> | Int32Array;

/** A checked batch, split by field: ids[f] is field f's column [B], on the tables' device. */
export interface FieldIds {
  readonly batchSize: number;
  readonly ids: readonly Tensor<"int32">[];
}

/**
 * Checks a batch against the fields' cardinalities and splits it into one id column per field.
 * Errors name the row, the field and its table: `fields[3, 2] = 40 is out of range [0, 30) for field 2 ("field2")`.
 */
export function splitFields(fields: FieldBatch, cardinalities: Int32Array, device: Device): FieldIds {
  const numFields = cardinalities.length;
  let values: Int32Array;
  if (fields instanceof Tensor) {
    if (fields.dtype !== "int32") throw new TypeError(`fields must be an int32 tensor, got a ${fields.dtype} one`);
    if (fields.shape.length !== 2 || fields.shape[1] !== numFields) {
      throw new RangeError(`fields has shape [${fields.shape.join(", ")}] but the model takes [batch, ${numFields}]: ` +
                           `one id per field for ${numFields} fields`);
    }
    values = fields.toArray() as Int32Array;
  } else if (fields instanceof Int32Array) {
    if (fields.length % numFields !== 0) {
      throw new RangeError(`fields has ${fields.length} ids, which is not a whole number of rows of ${numFields} fields`);
    }
    values = fields;
  } else {
    throw new TypeError(`fields must be an Int32Array or an int32 Tensor [batch, ${numFields}], got ${describe(fields)}`);
  }
  const batchSize = values.length / numFields;
  const ids = Array.from(cardinalities, (cardinality, f) => {
    const column = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; ++b) {
      const id = values[b * numFields + f]!;
      if (!(id >= 0 && id < cardinality)) {
        throw new RangeError(`fields[${b}, ${f}] = ${id} is out of range [0, ${cardinality}) for field ${f} ("${fieldTableName(f)}")`);
      }
      column[b] = id;
    }
    return Tensor.from(column, { device });
  });
  return { batchSize, ids };
}

export interface FieldEmbeddingsOptions {
  /** Sizes of every id of tables field0 … field{numFields−1}; candidates shared. */
  plan: SizePlan;
  numFields: number;
  /** D, the size every field vector is carried to. Default: the largest size in the plan. */
  dim?: number;
  seed?: number;
  /** Standard deviation of the initial embedding values. Default 0.01 (the store's). */
  initStd?: number;
  device?: DeviceOption;
}

/** The plan's table for each field, checked; the cardinalities are the tables' lengths. */
function fieldTables(plan: SizePlan, numFields: number): Int32Array[] {
  if (typeof plan !== "object" || plan === null || typeof plan.tables !== "object" || plan.tables === null) {
    throw new TypeError(`plan must be a SizePlan ({ candidates, tables }), got ${describe(plan)}`);
  }
  return Array.from({ length: numFields }, (_, f) => {
    const name = fieldTableName(f);
    const sizes = plan.tables[name];
    if (sizes === undefined) {
      const names = Object.keys(plan.tables).map((t) => `"${t}"`).join(", ") || "none";
      throw new RangeError(`the plan has no table "${name}" for field ${f} of ${numFields} (it has ${names})`);
    }
    if (!(sizes instanceof Int32Array)) throw new TypeError(`plan.tables.${name} must be an Int32Array, got ${describe(sizes)}`);
    if (sizes.length === 0) throw new RangeError(`plan.tables.${name} is empty: field ${f} needs at least one id`);
    return sizes;
  });
}

export class FieldEmbeddings extends Module {
  readonly numFields: number;
  /** D: the size of every field vector. */
  readonly dim: number;
  /** Ids per field: the lengths of the plan's tables. */
  readonly cardinalities: Int32Array;
  readonly device: Device;
  readonly tables: readonly MixedDimEmbedding[];
  /** Field f's Linear(d_max,f → D), or undefined where d_max,f = D. */
  readonly projections: readonly (Linear | undefined)[];

  /**
   * @example
   * const plan = fixedFieldPlan(data.fields.cardinalities, 16);
   * const embeddings = new FieldEmbeddings({ plan, numFields: data.fields.numFields, seed: 1 });
   * const x = embeddings.forward(embeddings.split(batchFields));   // Variable [B, F·16]
   */
  constructor({ plan, numFields, dim, seed = 0, initStd, device = "cpu" }: FieldEmbeddingsOptions) {
    super();
    this.numFields = integerInRange(numFields, "numFields", 1, 65536);
    this.device = resolveDevice(device);
    const tables = fieldTables(plan, this.numFields);
    const candidates = Array.from(int32Array(plan.candidates, "plan.candidates"));
    this.cardinalities = Int32Array.from(tables, (sizes) => sizes.length);
    const largest = tables.map((sizes) => sizes.reduce((m, d) => Math.max(m, d), 0));
    this.dim = integerInRange(dim ?? Math.max(...largest), "dim", 1, 65536);
    this.tables = tables.map((sizes, f) => new MixedDimEmbedding({
      candidates: candidates.filter((c) => c <= largest[f]!),
      sizes,
      seed: deriveSeed(seed, f),
      ...(initStd === undefined ? {} : { initStd }),
      device: this.device,
    }));
    this.projections = largest.map((inFeatures, f) => inFeatures === this.dim ? undefined
      : new Linear({ inFeatures, outFeatures: this.dim, bias: false, seed: deriveSeed(seed, 65536 + f), device: this.device }));
  }

  /** Checks a batch against the cardinalities and splits it by field (see splitFields). */
  split(fields: FieldBatch): FieldIds {
    return splitFields(fields, this.cardinalities, this.device);
  }

  /** The F field vectors of each row, side by side: [B, F·D]. */
  forward(fields: FieldIds): Variable {
    const vectors = this.tables.map((table, f) => {
      const rows = table.forward(fields.ids[f]!);
      return this.projections[f]?.forward(rows) ?? rows;
    });
    return vectors.length === 1 ? vectors[0]! : concat(vectors);
  }

  protected override children(): Record<string, Module> {
    const children: Record<string, Module> = {};
    this.tables.forEach((table, f) => { children[fieldTableName(f)] = table; });
    this.projections.forEach((projection, f) => {
      if (projection !== undefined) children[`projections.${fieldTableName(f)}`] = projection;
    });
    return children;
  }
}

export interface FieldLinearOptions {
  cardinalities: Int32Array;
  seed?: number;
  /** Standard deviation of the initial weights w_f. Default 0.01. */
  initStd?: number;
  device?: DeviceOption;
}

/** The first-order term w0 + Σ_f w_f[x_f]: [B, 1]. w0 starts at 0. */
export class FieldLinear extends Module {
  readonly weights: readonly Embedding[];
  readonly bias: Variable;
  // [F, 1] of ones, not trained: Σ_f as one product with the bias added.
  readonly #sum: Variable;

  constructor({ cardinalities, seed = 0, initStd, device = "cpu" }: FieldLinearOptions) {
    super();
    this.weights = Array.from(cardinalities, (numRows, f) => new Embedding({
      numRows, dim: 1, seed: deriveSeed(seed, f), ...(initStd === undefined ? {} : { initStd }), device,
    }));
    this.bias = constantParameter([1], 0, device, "bias");
    const ones = new Float32Array(cardinalities.length).fill(1);
    this.#sum = new Variable(Tensor.from(ones, { shape: [cardinalities.length, 1], device }));
  }

  forward(fields: FieldIds): Variable {
    const terms = this.weights.map((table, f) => table.forward(fields.ids[f]!));
    return linear(terms.length === 1 ? terms[0]! : concat(terms), this.#sum, this.bias);
  }

  protected override children(): Record<string, Module> {
    return Object.fromEntries(this.weights.map((table, f): [string, Module] => [fieldTableName(f), table]));
  }

  protected override ownParameters(): Record<string, Parameter> {
    return { bias: this.bias };
  }
}
