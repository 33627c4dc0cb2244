/**
 * The tape: each op records a node with its inputs and a closure that maps the gradient of
 * its output to gradients of its inputs; backward() visits nodes in reverse topological order
 * (micrograd's loop). Gradients that reach a leaf are summed into its `grad`.
 */
import { add } from "../ops/elementwise.js";
import { Tensor } from "../tensor.js";
import { Variable } from "./variable.js";

export interface TapeNode {
  /** The op's name, for error messages. */
  readonly op: string;
  readonly inputs: readonly Variable[];
  /**
   * dL/d(inputs[i]) for each input (undefined where an input needs none), given dL/d(output).
   * Row-sparse parameters (embedding stores) take their gradient here as a side effect.
   */
  readonly backward: (gradOutput: Tensor<"float32">) => readonly (Tensor<"float32"> | undefined)[];
}

let gradEnabled = true;

/** Runs fn without recording ops: for evaluation and for in-place parameter updates. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Records an op's output: a Variable that carries a tape node when gradients are enabled and
 * some input (or a sparse parameter the op reads, `tracksParameter`) needs one.
 */
export function record(op: string, inputs: readonly Variable[], value: Tensor<"float32">,
                       backward: TapeNode["backward"], tracksParameter = false): Variable {
  const needsGrad = gradEnabled && (tracksParameter || inputs.some((input) => input.requiresGrad));
  return needsGrad ? new Variable(value, {}, { op, inputs, backward }) : new Variable(value);
}

function topologicalOrder(root: Variable): Variable[] {
  const order: Variable[] = [];
  const visited = new Set<Variable>();
  // Iterative DFS: recommender graphs are shallow, but a long stream of ops must not overflow the stack.
  const stack: { variable: Variable; expanded: boolean }[] = [{ variable: root, expanded: false }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.expanded) {
      order.push(top.variable);
      continue;
    }
    if (visited.has(top.variable)) continue;
    visited.add(top.variable);
    stack.push({ variable: top.variable, expanded: true });
    for (const input of top.variable.creator?.inputs ?? []) {
      if (input.requiresGrad && !visited.has(input)) stack.push({ variable: input, expanded: false });
    }
  }
  return order;
}

/**
 * Back-propagates from `root`. Without `gradRoot`, root must hold one element (a loss) and
 * its gradient is 1.
 */
export function backward(root: Variable, gradRoot?: Tensor<"float32">): void {
  if (!root.requiresGrad) throw new Error("backward: the variable does not depend on anything that requires a gradient");
  if (gradRoot === undefined && root.value.size !== 1) {
    throw new RangeError(`backward: gradRoot is needed for a variable of shape [${root.shape.join(", ")}]`);
  }
  const seed = gradRoot ?? Tensor.from(Float32Array.of(1), { shape: root.shape, device: root.device });
  const grads = new Map<Variable, Tensor<"float32">>([[root, seed]]);
  for (const variable of topologicalOrder(root).reverse()) {
    const grad = grads.get(variable);
    if (grad === undefined) continue;
    grads.delete(variable);
    if (variable.creator === undefined) {
      // Sums are out of place: a gradient tensor may also be an op's dy or the caller's gradRoot.
      variable.grad = variable.grad === undefined ? grad : add(variable.grad, grad);
      continue;
    }
    const inputGrads = variable.creator.backward(grad);
    variable.creator.inputs.forEach((input, i) => {
      const inputGrad = inputGrads[i];
      if (!input.requiresGrad || inputGrad === undefined) return;
      const existing = grads.get(input);
      grads.set(input, existing === undefined ? inputGrad : add(existing, inputGrad));
    });
  }
}
