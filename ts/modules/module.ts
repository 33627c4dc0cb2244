/**
 * The base of every layer and model: a tree of modules, each owning named parameters (dense
 * Variables or row-sparse embedding stores) and buffers (state that is not trained, such as
 * batch-norm running statistics). parameters(), train()/eval() and state()/load() walk the tree.
 */
import { Variable } from "../autograd/variable.js";
import { native } from "../native.js";
import { Tensor } from "../tensor.js";
import { EmbeddingParameter } from "./embedding_parameter.js";
import { packStoreField, unpackStoreField } from "./store_packing.js";

export type Parameter = Variable | EmbeddingParameter;

/** Named host tensors, as checkpoints and exports store them. */
export type ModuleState = Record<string, Float32Array | Int32Array>;

export abstract class Module {
  #training = true;

  /** Sub-modules by name. */
  protected children(): Record<string, Module> {
    return {};
  }

  /** Parameters this module owns itself, by name. */
  protected ownParameters(): Record<string, Parameter> {
    return {};
  }

  /** Untrained state this module owns itself (running statistics), by name. */
  protected ownBuffers(): Record<string, Tensor<"float32">> {
    return {};
  }

  get training(): boolean {
    return this.#training;
  }

  /** Sets training mode here and below (batch norm uses batch statistics while training). */
  train(training = true): this {
    this.#training = training;
    for (const child of Object.values(this.children())) child.train(training);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Every parameter of the tree, each once, with its dotted name. */
  namedParameters(prefix = ""): [string, Parameter][] {
    const own = Object.entries(this.ownParameters()).map(([name, p]): [string, Parameter] => [prefix + name, p]);
    const nested = Object.entries(this.children()).flatMap(([name, child]) => child.namedParameters(`${prefix}${name}.`));
    return [...own, ...nested];
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, parameter]) => parameter);
  }

  zeroGrad(): void {
    for (const parameter of this.parameters()) parameter.zeroGrad();
  }

  /**
   * Named host copies of every parameter and buffer. An embedding store contributes
   * `<name>.sizes` (one size per id) and `<name>.rows` (each id's row at its own size, in id order).
   */
  state(prefix = ""): ModuleState {
    const state: ModuleState = {};
    for (const [name, parameter] of Object.entries(this.ownParameters())) {
      if (parameter instanceof Variable) state[prefix + name] = Float32Array.from(parameter.value.toArray());
      else Object.assign(state, packStore(parameter, prefix + name));
    }
    for (const [name, buffer] of Object.entries(this.ownBuffers())) state[prefix + name] = Float32Array.from(buffer.toArray());
    for (const [name, child] of Object.entries(this.children())) Object.assign(state, child.state(`${prefix}${name}.`));
    return state;
  }

  /** Restores what state() produced. Every name must be present, with the right length. */
  load(state: ModuleState, prefix = ""): void {
    for (const [name, parameter] of Object.entries(this.ownParameters())) {
      if (parameter instanceof Variable) copyInto(parameter.value, take(state, prefix + name, Float32Array), prefix + name);
      else unpackStore(parameter, state, prefix + name);
    }
    for (const [name, buffer] of Object.entries(this.ownBuffers())) {
      copyInto(buffer, take(state, prefix + name, Float32Array), prefix + name);
    }
    for (const [name, child] of Object.entries(this.children())) child.load(state, `${prefix}${name}.`);
  }
}

function take<T extends Float32Array | Int32Array>(state: ModuleState, name: string, type: { new (n: number): T; name: string }): T {
  const value = state[name];
  if (value === undefined) throw new RangeError(`state has no tensor named ${name}`);
  if (!(value instanceof type)) throw new TypeError(`state.${name} must be a ${type.name}`);
  return value as T;
}

function copyInto(target: Tensor<"float32">, values: Float32Array, name: string): void {
  if (values.length !== target.size) {
    throw new RangeError(`state.${name} has ${values.length} values but the module expects ${target.size}`);
  }
  if (target.device === "cpu") {
    target.toArray().set(values);
    return;
  }
  // A device tensor keeps its buffer (modules hold it): upload, then copy on the device.
  const uploaded = Tensor.from(values, { device: target.device });
  native.copyMemory(target.nativeArgument(name), uploaded.nativeArgument(name));
  uploaded.dispose();
}

function packStore(parameter: EmbeddingParameter, name: string): ModuleState {
  return { [`${name}.sizes`]: parameter.store.sizes(), [`${name}.rows`]: packStoreField(parameter.store) };
}

function unpackStore(parameter: EmbeddingParameter, state: ModuleState, name: string): void {
  const store = parameter.store;
  const sizes = take(state, `${name}.sizes`, Int32Array);
  if (sizes.length < store.numRows) {
    throw new RangeError(`state.${name}.sizes has ${sizes.length} rows but the store already holds ${store.numRows}`);
  }
  if (sizes.length > store.numRows) store.addRows(sizes.subarray(store.numRows));
  store.resize(Int32Array.from({ length: sizes.length }, (_, i) => i), sizes);
  unpackStoreField(store, take(state, `${name}.rows`, Float32Array), "weights", `state.${name}.rows`);
}
