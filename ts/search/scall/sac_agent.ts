/**
 * SCALL's agent: Soft Actor-Critic (Haarnoja et al. 2018) as the reference's ActorCritic.py and
 * Buffer.py run it (methods.md D §4).
 *
 * Actor π: state → 512 → 512 (ReLU) → (μ, log σ), log σ clamped to [−20, 2];
 *   a = tanh(u), u = μ + σ·ε, ε ~ N(0, I)          (the deterministic action is tanh(μ))
 *   log π(a|s) = Σ_j [ −ε_j²/2 − log σ_j − ½ log 2π − log(1 − a_j² + 10⁻⁶) ]
 * Critics Q₁, Q₂: (state, action) → 512 → 512 (ReLU) → 1, with target copies Q̄₁, Q̄₂.
 *
 *   y      = r + γ·(1 − done)·( min_i Q̄_i(s', a') − α·log π(a'|s') ),  a' ~ π(·|s')
 *   L_Q    = mean (Q₁(s, a) − y)² + mean (Q₂(s, a) − y)²
 *   L_π    = mean ( α·log π(ã|s) − min_i Q_i(s, ã) ),  ã = tanh(μ(s) + σ(s)·ε)
 *   Q̄_i   ← τ·Q_i + (1 − τ)·Q̄_i                                  (τ = 0.005)
 *
 * with a fixed entropy weight α = 0.2, γ = 0.99, Adam 3e-4 (critics) and 2e-4 (actor, gradient
 * norm clipped to 1), both with weight decay 1e-4. The replay buffer keeps 10k transitions, is
 * never cleared, and draws transition i (oldest first, from 0) with probability ∝ i + 1; a
 * batch is 1 transition, or 8 once it holds more than 12. SCALL takes 3 updates per step.
 *
 * The networks run on the tape (ts/modules/mlp.ts, native GEMM); the squashed-Gaussian head is
 * a few numbers per sample, so its forward and its gradient (∂L/∂μ, ∂L/∂log σ, written out in
 * `actorUpdate`) are computed here in float64 and fed back with backward(output, ∂L/∂output).
 */
import { integerInRange, numberInRange, optionsObject } from "../../arguments.js";
import { concat } from "../../autograd/ops/concat_op.js";
import { backward, noGrad } from "../../autograd/tape.js";
import { Variable } from "../../autograd/variable.js";
import { type Device, type DeviceOption, resolveDevice } from "../../backend.js";
import { GaussianSource, uniformStream } from "../../data/seeds.js";
import type { Mulberry32, UniformSource } from "../../data/random.js";
import { MLP } from "../../modules/mlp.js";
import { linearCombination } from "../../ops/elementwise.js";
import { Adam } from "../../optim/adam.js";
import { Tensor } from "../../tensor.js";
import {
  moduleSnapshot, nestSnapshots, optimizerSnapshot, restoreModule, restoreOptimizer, snapshotPart, snapshotTensor,
  type StateSnapshot,
} from "../../training/state_snapshot.js";

export interface SacOptions {
  stateDim: number;
  /** Default 3: (ratio, α_user, α_item). */
  actionDim?: number;
  /** Width of both hidden layers (default 512). */
  hidden?: number;
  gamma?: number;
  tau?: number;
  /** The fixed entropy weight α (default 0.2). */
  entropyWeight?: number;
  actorLearningRate?: number;
  criticLearningRate?: number;
  weightDecay?: number;
  actorMaxGradNorm?: number;
  bufferCapacity?: number;
  seed?: number;
  device?: DeviceOption;
}

export interface Transition {
  state: Float32Array;
  /** The squashed action, in (−1, 1)^actionDim. */
  action: Float32Array;
  reward: number;
  nextState: Float32Array;
  done?: boolean;
}

export interface SacLosses {
  criticLoss: number;
  actorLoss: number;
  batchSize: number;
}

const logStdMin = -20;
const logStdMax = 2;
const squashEps = 1e-6;
const halfLog2Pi = 0.5 * Math.log(2 * Math.PI);
// The seeds.ts streams the agent draws from.
const noiseStream = 301;
const replayStream = 302;

/** Transitions, oldest first, never cleared: the oldest leaves only when capacity is reached. */
export class ReplayBuffer {
  readonly capacity: number;
  readonly #items: Transition[] = [];

  constructor(capacity = 10_000) {
    this.capacity = integerInRange(capacity, "capacity", 1, 2 ** 31 - 1);
  }

  get size(): number {
    return this.#items.length;
  }

  push(transition: Transition): void {
    if (this.#items.length === this.capacity) this.#items.shift();
    this.#items.push(transition);
  }

  /** Every transition, oldest first, as [n, ·] tensors and JSON rewards: for a checkpoint. */
  snapshot(): StateSnapshot {
    const rows = (pick: (t: Transition) => Float32Array) => {
      const width = this.#items.length === 0 ? 0 : pick(this.#items[0]!).length;
      const out = new Float32Array(this.#items.length * width);
      this.#items.forEach((t, i) => out.set(pick(t), i * width));
      return out;
    };
    return {
      state: { rewards: this.#items.map((t) => t.reward), done: this.#items.map((t) => t.done === true) },
      tensors: { states: rows((t) => t.state), actions: rows((t) => t.action), nextStates: rows((t) => t.nextState) },
    };
  }

  /** Replaces the contents with what snapshot() captured. */
  restore(snapshot: StateSnapshot): void {
    const { rewards, done } = snapshot.state as { rewards: number[]; done: boolean[] };
    const n = rewards.length;
    const rows = (name: string) => {
      const values = snapshotTensor(snapshot, name, Float32Array);
      const width = n === 0 ? 0 : values.length / n;
      return (i: number) => values.slice(i * width, (i + 1) * width);
    };
    const [states, actions, nextStates] = [rows("states"), rows("actions"), rows("nextStates")];
    this.#items.length = 0;
    for (let i = 0; i < n; ++i) {
      this.push({ state: states(i), action: actions(i), reward: rewards[i]!, nextState: nextStates(i),
                  ...(done[i] ? { done: true } : {}) });
    }
  }

  /**
   * `count` transitions drawn with replacement, transition i with probability (i + 1)/(n(n+1)/2):
   * x uniform in [0, n(n+1)/2) falls in i's interval [i(i+1)/2, (i+1)(i+2)/2).
   */
  sample(count: number, uniform: UniformSource): Transition[] {
    const n = this.#items.length;
    if (n === 0) throw new RangeError("the replay buffer is empty; push a transition first");
    const total = (n * (n + 1)) / 2;
    return Array.from({ length: count }, () => {
      const x = uniform() * total;
      let i = Math.floor((Math.sqrt(8 * x + 1) - 1) / 2);
      if ((i * (i + 1)) / 2 > x) --i;                 // guard the square root's rounding
      if (((i + 1) * (i + 2)) / 2 <= x) ++i;
      return this.#items[Math.min(n - 1, Math.max(0, i))]!;
    });
  }
}

/** μ and log σ (clamped) of each row of the actor's [B, 2·A] output, and whether log σ was clamped. */
interface GaussianHead {
  mean: Float64Array;
  logStd: Float64Array;
  clamped: Uint8Array;
}

export class SacAgent {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly gamma: number;
  readonly tau: number;
  readonly entropyWeight: number;
  readonly device: Device;
  readonly actor: MLP;
  readonly critics: [MLP, MLP];
  readonly targetCritics: [MLP, MLP];
  readonly buffer: ReplayBuffer;
  readonly #actorOptimizer: Adam;
  readonly #criticOptimizer: Adam;
  readonly #noiseUniform: Mulberry32;
  readonly #noise: GaussianSource;
  readonly #replayUniform: Mulberry32;

  /**
   * @example
   * const agent = new SacAgent({ stateDim: stateLength(), seed: 1 });
   * const action = agent.act(state);                  // (−1, 1)^3
   * agent.remember({ state, action, reward, nextState });
   * for (let k = 0; k < 3; ++k) agent.update();
   */
  constructor(options: SacOptions) {
    const opts = optionsObject(options);
    this.stateDim = integerInRange(opts.stateDim, "stateDim", 1, 1 << 24);
    this.actionDim = integerInRange(opts.actionDim ?? 3, "actionDim", 1, 1024);
    const hidden = integerInRange(opts.hidden ?? 512, "hidden", 1, 1 << 16);
    this.gamma = numberInRange(opts.gamma ?? 0.99, "gamma", 0, 1);
    this.tau = numberInRange(opts.tau ?? 0.005, "tau", 0, 1);
    this.entropyWeight = numberInRange(opts.entropyWeight ?? 0.2, "entropyWeight", 0, Infinity);
    this.device = resolveDevice(opts.device ?? "cpu");
    const seed = integerInRange(opts.seed ?? 0, "seed", 0, 2 ** 31 - 1);
    const device = this.device;
    this.actor = new MLP({ sizes: [this.stateDim, hidden, hidden, 2 * this.actionDim], seed: seed * 16, device });
    const critic = (k: number) => new MLP({ sizes: [this.stateDim + this.actionDim, hidden, hidden, 1], seed: seed * 16 + 8 + 4 * k, device });
    this.critics = [critic(0), critic(1)];
    // The same seeds: each target starts as a copy of its critic.
    this.targetCritics = [critic(0), critic(1)];
    const weightDecay = numberInRange(opts.weightDecay ?? 1e-4, "weightDecay", 0, Infinity);
    this.#actorOptimizer = new Adam(this.actor.parameters(), {
      learningRate: numberInRange(opts.actorLearningRate ?? 2e-4, "actorLearningRate", 0, Infinity, true),
      weightDecay, maxGradNorm: numberInRange(opts.actorMaxGradNorm ?? 1, "actorMaxGradNorm", 0, Infinity, true),
    });
    this.#criticOptimizer = new Adam([...this.critics[0].parameters(), ...this.critics[1].parameters()], {
      learningRate: numberInRange(opts.criticLearningRate ?? 3e-4, "criticLearningRate", 0, Infinity, true), weightDecay,
    });
    this.buffer = new ReplayBuffer(opts.bufferCapacity ?? 10_000);
    this.#noiseUniform = uniformStream(seed, noiseStream);
    this.#noise = new GaussianSource(this.#noiseUniform);
    this.#replayUniform = uniformStream(seed, replayStream);
  }

  /**
   * The networks, both optimizers, the replay buffer and the positions of the noise and replay
   * streams: what continues the agent bit for bit (checkpoints). Call it between updates.
   */
  snapshot(): StateSnapshot {
    const { spare } = this.#noise;
    return nestSnapshots({
      actor: moduleSnapshot(this.actor, this.#actorOptimizer),
      critic0: moduleSnapshot(this.critics[0]), critic1: moduleSnapshot(this.critics[1]),
      target0: moduleSnapshot(this.targetCritics[0]), target1: moduleSnapshot(this.targetCritics[1]),
      criticOptimizer: optimizerSnapshot(this.#criticOptimizer),
      buffer: this.buffer.snapshot(),
    }, { state: { noise: this.#noiseUniform.state, ...(spare === undefined ? {} : { spare }), replay: this.#replayUniform.state } });
  }

  /** Restores what snapshot() captured into an agent built with the same options. */
  restore(snapshot: StateSnapshot): void {
    const part = (name: string) => snapshotPart(snapshot, name);
    restoreModule(part("actor"), this.actor, this.#actorOptimizer);
    restoreModule(part("critic0"), this.critics[0]);
    restoreModule(part("critic1"), this.critics[1]);
    restoreModule(part("target0"), this.targetCritics[0]);
    restoreModule(part("target1"), this.targetCritics[1]);
    restoreOptimizer(part("criticOptimizer"), this.#criticOptimizer);
    this.buffer.restore(part("buffer"));
    const { noise, spare, replay } = snapshot.state as { noise: number; spare?: number; replay: number };
    this.#noiseUniform.state = noise;
    this.#noise.spare = spare;
    this.#replayUniform.state = replay;
  }

  /** An action in (−1, 1)^A: tanh(μ + σ·ε), or tanh(μ) when deterministic. */
  act(state: Float32Array, deterministic = false): Float32Array {
    const head = this.#head(noGrad(() => this.actor.forward(this.#rows([this.#checkState(state, "state")]))).value);
    return Float32Array.from(head.mean, (mean, j) =>
      Math.tanh(deterministic ? mean : mean + Math.exp(head.logStd[j]!) * this.#noise.next()));
  }

  /** log π(a|s) of an action in (−1, 1)^A (clamped to ±(1 − 10⁻⁶)). */
  logProb(state: Float32Array, action: Float32Array): number {
    const head = this.#head(noGrad(() => this.actor.forward(this.#rows([this.#checkState(state, "state")]))).value);
    let sum = 0;
    for (let j = 0; j < this.actionDim; ++j) {
      const a = Math.max(-1 + squashEps, Math.min(1 - squashEps, action[j]!));
      const std = Math.exp(head.logStd[j]!);
      const epsilon = (Math.atanh(a) - head.mean[j]!) / std;
      sum += -0.5 * epsilon * epsilon - head.logStd[j]! - halfLog2Pi - Math.log(1 - a * a + squashEps);
    }
    return sum;
  }

  remember(transition: Transition): void {
    this.#checkState(transition.state, "transition.state");
    this.#checkState(transition.nextState, "transition.nextState");
    if (!(transition.action instanceof Float32Array) || transition.action.length !== this.actionDim) {
      throw new RangeError(`transition.action must be a Float32Array of length ${this.actionDim}`);
    }
    numberInRange(transition.reward, "transition.reward", -Infinity, Infinity);
    this.buffer.push(transition);
  }

  /** The batch the reference draws: 1 transition, or 8 once the buffer holds more than 12. */
  get batchSize(): number {
    return this.buffer.size > 12 ? 8 : 1;
  }

  /** One SAC update (critics, then actor, then targets) on a batch from the buffer. */
  update(): SacLosses {
    const batch = this.buffer.sample(this.batchSize, this.#replayUniform);
    const criticLoss = this.#criticUpdate(batch);
    const actorLoss = this.#actorUpdate(batch);
    this.#softUpdate();
    return { criticLoss, actorLoss, batchSize: batch.length };
  }

  #criticUpdate(batch: Transition[]): number {
    const size = batch.length;
    const alpha = this.entropyWeight;
    const nextStates = this.#rows(batch.map((t) => t.nextState));
    const target = noGrad(() => {
      const head = this.#head(this.actor.forward(nextStates).value);
      const { actions, logProbs } = this.#sample(head);
      const input = concat([nextStates, this.#rows(actions)]);
      const q1 = this.targetCritics[0].forward(input).value.toArray();
      const q2 = this.targetCritics[1].forward(input).value.toArray();
      return batch.map((t, b) =>
        t.reward + this.gamma * (t.done === true ? 0 : 1) * (Math.min(q1[b]!, q2[b]!) - alpha * logProbs[b]!));
    });
    this.#criticOptimizer.zeroGrad();
    const input = concat([this.#rows(batch.map((t) => t.state)), this.#rows(batch.map((t) => t.action))]);
    let loss = 0;
    for (const critic of this.critics) {
      const q = critic.forward(input);
      const values = q.value.toArray();
      const grad = new Float32Array(size);
      for (let b = 0; b < size; ++b) {
        const error = values[b]! - target[b]!;
        loss += (error * error) / size;
        grad[b] = (2 * error) / size;
      }
      backward(q, Tensor.from(grad, { shape: [size, 1], device: this.device }));
    }
    this.#criticOptimizer.step();
    return loss;
  }

  /**
   * With u = μ + σε, a = tanh(u), g_j = ∂(−log(1 − a_j² + 10⁻⁶))/∂u_j = 2a_j(1 − a_j²)/(1 − a_j² + 10⁻⁶)
   * and q_j = ∂L/∂a_j through the smaller critic (with its −1/B):
   *   ∂L/∂μ_j     = α·g_j/B + q_j·(1 − a_j²)
   *   ∂L/∂log σ_j = α·(g_j·σ_j·ε_j − 1)/B + q_j·(1 − a_j²)·σ_j·ε_j      (0 where log σ was clamped)
   */
  #actorUpdate(batch: Transition[]): number {
    const size = batch.length;
    const A = this.actionDim;
    const alpha = this.entropyWeight;
    const states = this.#rows(batch.map((t) => t.state));
    this.#actorOptimizer.zeroGrad();
    const output = this.actor.forward(states);
    const head = this.#head(output.value);
    const { actions, logProbs, noise } = this.#sample(head);
    const actionVariable = new Variable(this.#rows(actions).value, { requiresGrad: true });
    const input = concat([states, actionVariable]);
    const q = this.critics.map((critic) => critic.forward(input));
    const q1 = q[0]!.value.toArray();
    const q2 = q[1]!.value.toArray();
    let loss = 0;
    q.forEach((values, i) => {
      const grad = new Float32Array(size);
      for (let b = 0; b < size; ++b) {
        const smaller = q1[b]! <= q2[b]! ? 0 : 1;
        if (smaller === i) grad[b] = -1 / size;
      }
      backward(values, Tensor.from(grad, { shape: [size, 1], device: this.device }));
    });
    const dAction = actionVariable.grad!.toArray();
    const dOutput = new Float32Array(size * 2 * A);
    for (let b = 0; b < size; ++b) {
      loss += (alpha * logProbs[b]! - Math.min(q1[b]!, q2[b]!)) / size;
      for (let j = 0; j < A; ++j) {
        const a = actions[b]![j]!;
        const squash = 1 - a * a;
        const g = (2 * a * squash) / (squash + squashEps);
        const std = Math.exp(head.logStd[b * A + j]!);
        const epsilon = noise[b * A + j]!;
        const qa = dAction[b * A + j]! * squash;
        dOutput[b * 2 * A + j] = (alpha * g) / size + qa;
        dOutput[b * 2 * A + A + j] = head.clamped[b * A + j] === 1 ? 0
          : (alpha * (g * std * epsilon - 1)) / size + qa * std * epsilon;
      }
    }
    backward(output, Tensor.from(dOutput, { shape: [size, 2 * A], device: this.device }));
    this.#actorOptimizer.step();
    // The actor's pass left gradients in the critics; they are not stepped on them.
    for (const critic of this.critics) critic.zeroGrad();
    return loss;
  }

  #softUpdate(): void {
    this.critics.forEach((critic, i) => {
      const source = critic.parameters() as Variable[];
      const target = this.targetCritics[i]!.parameters() as Variable[];
      source.forEach((p, k) => linearCombination(this.tau, p.value, 1 - this.tau, target[k]!.value, target[k]!.value));
    });
  }

  /** Squashed samples a = tanh(μ + σε), their log π and the noise ε, per row. */
  #sample(head: GaussianHead): { actions: Float32Array[]; logProbs: Float64Array; noise: Float64Array } {
    const A = this.actionDim;
    const rows = head.mean.length / A;
    const noise = new Float64Array(rows * A);
    const logProbs = new Float64Array(rows);
    const actions = Array.from({ length: rows }, (_, b) => {
      const action = new Float32Array(A);
      for (let j = 0; j < A; ++j) {
        const epsilon = this.#noise.next();
        noise[b * A + j] = epsilon;
        const a = Math.tanh(head.mean[b * A + j]! + Math.exp(head.logStd[b * A + j]!) * epsilon);
        action[j] = a;
        logProbs[b]! += -0.5 * epsilon * epsilon - head.logStd[b * A + j]! - halfLog2Pi - Math.log(1 - a * a + squashEps);
      }
      return action;
    });
    return { actions, logProbs, noise };
  }

  #head(output: Tensor<"float32">): GaussianHead {
    const values = output.toArray();
    const A = this.actionDim;
    const rows = values.length / (2 * A);
    const mean = new Float64Array(rows * A);
    const logStd = new Float64Array(rows * A);
    const clamped = new Uint8Array(rows * A);
    for (let b = 0; b < rows; ++b) {
      for (let j = 0; j < A; ++j) {
        mean[b * A + j] = values[b * 2 * A + j]!;
        const raw = values[b * 2 * A + A + j]!;
        logStd[b * A + j] = Math.min(logStdMax, Math.max(logStdMin, raw));
        clamped[b * A + j] = raw < logStdMin || raw > logStdMax ? 1 : 0;
      }
    }
    return { mean, logStd, clamped };
  }

  #rows(rows: readonly Float32Array[]): Variable {
    const width = rows[0]!.length;
    const data = new Float32Array(rows.length * width);
    rows.forEach((row, b) => data.set(row, b * width));
    return new Variable(Tensor.from(data, { shape: [rows.length, width], device: this.device }));
  }

  #checkState(state: unknown, argument: string): Float32Array {
    if (!(state instanceof Float32Array)) throw new TypeError(`${argument} must be a Float32Array`);
    if (state.length !== this.stateDim) throw new RangeError(`${argument} has length ${state.length} but must have ${this.stateDim} (stateDim)`);
    return state;
  }
}
