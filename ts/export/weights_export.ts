/**
 * A trained model's weights as one safetensors file that PyTorch opens without mixdim
 * (docs/export.md has the snippet). Each mixed-dimension table T becomes three tensors:
 *
 *   T.rows     F32 [Σ_i d_i]   every id's row at its own size, in id order (packStoreField)
 *   T.offsets  I64 [n + 1]     id i's row is rows[offsets[i] : offsets[i + 1]]
 *   T.sizes    I32 [n]         d_i = offsets[i + 1] − offsets[i]
 *
 * and every dense weight (linear layers, projection chains, batch-norm statistics) keeps its
 * module path as its name, with its shape when the model is at hand (flat otherwise).
 * T is the store's module path without its ".weight" and ".embedding" (MlpRecommender's
 * "users.embedding.weight" exports as "users"). `__metadata__` names the tables.
 */
import type { TensorData } from "../checkpoint/safetensors.js";
import { writeSafetensors } from "../checkpoint/safetensors.js";
import { Variable } from "../autograd/variable.js";
import type { Module, ModuleState } from "../modules/module.js";

export const weightsFormat = "mixdim-weights";

export interface ExportedTable {
  /** The exported name T (T.rows, T.offsets, T.sizes). */
  name: string;
  /** Where the store sits in the model, e.g. "users.embedding.weight". */
  source: string;
  ids: number;
  /** Σ_i d_i · 4. */
  bytes: number;
}

export interface ExportedWeights {
  tensors: Record<string, TensorData>;
  tables: ExportedTable[];
  metadata: Record<string, string>;
}

/** The table name an embedding store at `source` exports under. */
export function exportedTableName(source: string): string {
  return source.replace(/\.weight$/, "").replace(/\.embedding$/, "") || source;
}

/**
 * Lays out a model's state (Module.state(), or a checkpoint's weights) for export. `shapes`
 * gives dense tensors their shapes (by name); without one a tensor stays flat.
 */
export function exportTensors(state: ModuleState | Record<string, TensorData>,
                              shapes: Record<string, readonly number[]> = {}): ExportedWeights {
  const arrays: ModuleState = {};
  for (const [name, value] of Object.entries(state)) {
    const data = value instanceof Float32Array || value instanceof Int32Array ? value : value.data;
    if (!(data instanceof Float32Array) && !(data instanceof Int32Array)) {
      throw new TypeError(`weights.${name} is ${(value as TensorData).dtype}; a model's state holds only F32 and I32`);
    }
    arrays[name] = data;
  }
  const tensors: Record<string, TensorData> = {};
  const tables: ExportedTable[] = [];
  const storeSources = Object.keys(arrays).filter((name) => name.endsWith(".sizes") && arrays[`${name.slice(0, -6)}.rows`] !== undefined)
    .map((name) => name.slice(0, -6));
  const taken = new Set<string>();
  for (const source of storeSources) {
    const sizes = arrays[`${source}.sizes`]!;
    const rows = arrays[`${source}.rows`]!;
    if (!(sizes instanceof Int32Array) || !(rows instanceof Float32Array)) {
      throw new TypeError(`weights.${source}.sizes must be I32 and weights.${source}.rows F32`);
    }
    const offsets = new BigInt64Array(sizes.length + 1);
    let total = 0;
    sizes.forEach((d, i) => {
      if (d < 0) throw new RangeError(`weights.${source}.sizes[${i}] = ${d} is negative`);
      total += d;
      offsets[i + 1] = BigInt(total);
    });
    if (total !== rows.length) {
      throw new RangeError(`weights.${source}.rows holds ${rows.length} values but its sizes add up to ${total}`);
    }
    const name = exportedTableName(source);
    if (taken.has(name)) throw new RangeError(`two tables export as "${name}"`);
    taken.add(name);
    tensors[`${name}.rows`] = { dtype: "F32", shape: [rows.length], data: rows };
    tensors[`${name}.offsets`] = { dtype: "I64", shape: [offsets.length], data: offsets };
    tensors[`${name}.sizes`] = { dtype: "I32", shape: [sizes.length], data: sizes };
    tables.push({ name, source, ids: sizes.length, bytes: total * 4 });
  }
  const storeNames = new Set(storeSources.flatMap((s) => [`${s}.sizes`, `${s}.rows`]));
  for (const [name, data] of Object.entries(arrays)) {
    if (storeNames.has(name)) continue;
    if (tensors[name] !== undefined) throw new RangeError(`the dense weight "${name}" collides with an exported table's tensor`);
    const shape = shapes[name] ?? [data.length];
    if (shape.reduce((n, d) => n * d, 1) !== data.length) {
      throw new RangeError(`shapes.${name} = [${shape.join(", ")}] does not hold weights.${name}'s ${data.length} values`);
    }
    tensors[name] = data instanceof Int32Array ? { dtype: "I32", shape, data } : { dtype: "F32", shape, data };
  }
  const metadata = {
    format: weightsFormat,
    version: "1",
    tables: JSON.stringify(Object.fromEntries(tables.map((t) => [t.name, { source: t.source, ids: t.ids, bytes: t.bytes }]))),
  };
  return { tensors, tables, metadata };
}

/** Each dense parameter's shape, by the name Module.state() gives it. */
export function moduleShapes(model: Module): Record<string, readonly number[]> {
  return Object.fromEntries(model.namedParameters().filter(([, p]) => p instanceof Variable)
    .map(([name, p]) => [name, (p as Variable).shape]));
}

/** Writes a model's weights (each table at its own sizes, with offsets) to a safetensors file, atomically. */
export async function writeModelWeights(path: string, model: Module): Promise<ExportedTable[]> {
  return writeExportedWeights(path, model.state(), moduleShapes(model));
}

/** Writes a state (Module.state() or a checkpoint's weights) as an export; returns its tables. */
export async function writeExportedWeights(path: string, state: ModuleState | Record<string, TensorData>,
                                           shapes: Record<string, readonly number[]> = {}): Promise<ExportedTable[]> {
  const exported = exportTensors(state, shapes);
  await writeSafetensors(path, exported.tensors, exported.metadata);
  return exported.tables;
}
