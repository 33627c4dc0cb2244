/**
 * SCALL (Qu et al., CIKM'24, "Scalable Dynamic Embedding Size Search for Streaming
 * Recommendation"; methods.md D): embedding sizes for a stream of implicit feedback, held to a
 * memory budget by construction, chosen by a Soft Actor-Critic agent segment by segment.
 *
 *   segments D_0..D_T of the stream in settings.order, by time or shuffled (stream.ts;
 *     scallSegments: new-entity cuts, reservoir replay, train/validation/test)
 *   D_0: every id at the uniform size P/(|U|+|V|); train LightGCN; conv_fitness_0
 *   for t = 1..T:
 *     search on D_{t−1} (env steps, until the ratio settles or envSteps run):
 *       a ~ π(·|s);  sizes ← sampler(a, frequencies of D_{t−1}, P)
 *       fresh LightGCN with those sizes, envTrainSteps steps on D_{t−1}
 *       fitness = (Recall@20 + NDCG@20)/2 on D_{t−1}'s VALIDATION slice
 *       R = fitness / conv_fitness_{t−1};  reward = 10·(R − low)/(high − low)
 *       remember (s, a, reward, s');  3 SAC updates
 *     deploy on D_t:
 *       s ← state with D_t's frequencies (R and the mean embeddings carried over)
 *       a = tanh(μ(s));  sizes ← sampler(a, frequencies of D_t, P) for every id in the table,
 *         ids seen only in D_t's test rows (unseen) included, ranked last
 *       warm start: the previous rows, each truncated (shrunk) or zero-extended (grown) to its
 *         new size; new ids start from N(0, 0.01)
 *       train (early stopping on the validation slice); conv_fitness_t after envTrainSteps steps
 *       Recall@20, NDCG@20 on D_t's test split
 *   searchMetrics: the mean over t = 1..T (t = 0 is warm-up); result.metrics are the final
 *   plan retrained by evaluatePlan (LightGCN, BPR), as for every method
 *
 * Controls (settings.policy, SizePolicy in scall_settings.ts), to tell what the learning adds at
 * the same P, on the same segments, warm starts, deployment training and evaluation:
 *   "learned" (default): the loop above.
 *   "frozen": no search. Every deployment takes a₀ = tanh(μ₀(s)), the untrained agent's mean
 *     action at the state segment 1's search would start from, with D_t's frequencies.
 *   "uniform": every segment sized as D_0 (FIXED in the stream); no agent, no search.
 * Neither control runs an env step (searchMetrics.envSteps = 0), so their peakSearchBytes is the
 * largest deployed table. settings.order "shuffle" cuts the segments from one seeded permutation
 * of the ratings instead of time order (stream.ts), for any policy.
 *
 * Budget: P floats per segment, in either of SCALL's modes: total bytes B from search()'s
 * budget (P = ⌊B/4⌋, fixed over time) or a mean size c (settings.meanSize, P = ⌊c·(|U|+|V|)⌋,
 * growing with the ids); with both, the smaller. Without either, c = 10 (the reference's Yelp
 * setting). Σ sizes = P exactly whenever P ≤ (|U|+|V|)·d_max (size_sampler.ts); the returned
 * plan covers every id of the data set, so it is within the budget and search() leaves it as is.
 *
 * Candidates: SCALL's sizes are every integer in [candidates[0], candidates[last]] (default
 * [1, 256], the reference's MIN/MAX_EMB_SIZE); the plan's own candidate list is the (at most 16)
 * distinct sizes it uses, since a store holds at most 16 size classes (limitSizeClasses keeps
 * the total exact while getting there).
 *
 * Departures from the reference, each deliberate: the reward and model selection use the
 * validation slice, not the test split; the budget is met exactly in exploration too; the
 * table's rows are stored at their sizes rather than masked 256-wide.
 *
 * LightGCN builds its graph once, in its constructor, with users and items in one table (users
 * first), so each segment (its graph grows) gets a new model and the previous rows are copied in
 * with writeRows, which truncates or zero-extends exactly as store.resize does; new ids keep
 * their fresh N(0, 0.01) rows, as store.addRows would give them.
 *
 * Checkpoints are per segment. Between segments the search holds little: the agent (networks,
 * Adams, replay buffer, noise and replay stream positions; "learned" only), the frozen action
 * once fixed ("frozen"; before that the untrained agent is rebuilt from the seed), the previous
 * segment's rows, sizes and conv_fitness, the carried observation and the test rankings so far.
 * Inside one it also holds the env models, the deployment model with its Adam, schedule, sampler
 * and early-stopping rows, so an abort anywhere in segment t saves the state at t's start
 * (captured there) and a resume runs segment t again from its start, ending bit for bit as an
 * uninterrupted run on the CPU. At the reference's sizes a segment is minutes of work; that much
 * is lost to an abort.
 */
import { integerInRange, numberInRange } from "../../arguments.js";
import { takeRows } from "../../data/take_rows.js";
import { backward } from "../../autograd/tape.js";
import type { RatingsDataset } from "../../data/dataset.js";
import { scallSegments, type ScallSegment } from "../../data/scall_segments.js";
import { type CsrRows, itemsInTrainAndTest, rankingMetrics } from "../../metrics/ranking.js";
import { BprSampler, itemsByUser } from "../../models/bpr_sampling.js";
import { LightGCN } from "../../models/lightgcn.js";
import type { MixedDimEmbedding } from "../../modules/mixed_dim_embedding.js";
import { Adam } from "../../optim/adam.js";
import { StepDecay } from "../../optim/step_decay.js";
import type { SizePlan } from "../../plan/size_plan.js";
import { nestSnapshots, snapshotPart, snapshotTensor, type StateSnapshot } from "../../training/state_snapshot.js";
import type { BoundaryState, SearchContext, SearchMethodDefinition, SearchOutcome } from "../search_context.js";
import { SacAgent } from "./sac_agent.js";
import { readScallSettings, type ScallSettings, scallSettings } from "./scall_settings.js";
import {
  alphaRange, limitSizeClasses, rankByFrequency, sampleSizes, type SizeAction, type SizeBudget, type SizeRange,
  snapToLevels, uniformSizes,
} from "./size_sampler.js";
import { meanRow, scallState, stateLength } from "./state.js";
import { renumberedStream } from "./stream.js";

/** The action's (−1, 1) outputs in SCALL's units: ratio in (0, 1), each α linearly onto [0.1, 30]. */
export function actionToSizes(action: ArrayLike<number>): SizeAction {
  const unit = (j: number) => (action[j]! + 1) / 2;
  const alpha = (j: number) => alphaRange.min + (alphaRange.max - alphaRange.min) * unit(j);
  return { ratio: unit(0), userAlpha: alpha(1), itemAlpha: alpha(2) };
}

/** One segment as LightGCN and the evaluation need it, over a table of numUsers + numItems ids. */
interface SegmentData {
  t: number;
  numUsers: number;
  numItems: number;
  /** The graph: every earlier row and the segment's training rows. */
  graph: { users: Int32Array; items: Int32Array };
  /** The segment's training rows (replay ⊕ D_t head), where BPR batches come from. */
  train: { users: Int32Array; items: Int32Array };
  /** Current-segment counts over the training rows: what sizes are ranked by. */
  userFrequencies: Int32Array;
  itemFrequencies: Int32Array;
  negativeItems: Int32Array;
  /** The graph's items per user, masked in ranking. */
  seenItems: CsrRows;
  validation: CsrRows;
  test: CsrRows;
}

function segmentData(data: RatingsDataset, segment: ScallSegment, coverAll: boolean): SegmentData {
  let numUsers = 0;
  let numItems = 0;
  if (coverAll) {
    numUsers = data.numUsers;
    numItems = data.numItems;
  } else {
    // Ids are numbered by first appearance, so every id seen up to the segment's end is below these.
    for (let r = 0; r < segment.end; ++r) {
      numUsers = Math.max(numUsers, data.users[r]! + 1);
      numItems = Math.max(numItems, data.items[r]! + 1);
    }
  }
  const pick = (rows: Int32Array) => ({ users: takeRows(data.users, rows), items: takeRows(data.items, rows) });
  const graphRows = new Int32Array(segment.history.length + segment.train.length);
  graphRows.set(segment.history);
  graphRows.set(segment.train, segment.history.length);
  const graph = pick(graphRows);
  const train = pick(segment.train);
  const userFrequencies = new Int32Array(numUsers);
  const itemFrequencies = new Int32Array(numItems);
  for (const u of train.users) userFrequencies[u]! += 1;
  for (const i of train.items) itemFrequencies[i]! += 1;
  const negativeItems = Int32Array.from(itemFrequencies.keys()).filter((i) => itemFrequencies[i]! > 0);
  const csr = (rows: Int32Array): CsrRows => {
    const { users, items } = pick(rows);
    return itemsByUser(users, items, numUsers);
  };
  return {
    t: segment.t, numUsers, numItems, graph, train, userFrequencies, itemFrequencies, negativeItems,
    seenItems: itemsByUser(graph.users, graph.items, numUsers),
    validation: csr(segment.validation),
    test: csr(segment.test),
  };
}

interface Ranking {
  recall: number;
  ndcg: number;
  /** (Recall@20 + NDCG@20) / 2: SCALL's fitness. */
  fitness: number;
}

/** Recall@20 and NDCG@20 as SCALL's Evaluator: candidates in train and test, test users seen in train. */
function rank(model: LightGCN, segment: SegmentData, split: CsrRows): Ranking {
  const { seenItems } = segment;
  let anyUser = false;
  for (let u = 0; u < segment.numUsers && !anyUser; ++u) {
    anyUser = seenItems.rowPtr[u + 1]! > seenItems.rowPtr[u]! && split.rowPtr[u + 1]! > split.rowPtr[u]!;
  }
  const candidateItems = itemsInTrainAndTest(seenItems, split, segment.numItems);
  if (!anyUser || candidateItems.length === 0) return { recall: 0, ndcg: 0, fitness: 0 };
  const result = rankingMetrics({
    scores: model.scorer(), itemCount: segment.numItems, trainItemsByUser: seenItems, testItemsByUser: split, k: 20,
    candidateItems, usersWithoutTestItems: "countAsZero",
  });
  return { recall: result.recall, ndcg: result.ndcg, fitness: (result.recall + result.ndcg) / 2 };
}

/** A trained table's rows, kept to warm-start the next segment. */
interface SavedRows {
  numUsers: number;
  numItems: number;
  width: number;
  /** [numUsers + numItems, width], users first, zero beyond each row's size. */
  rows: Float32Array;
}

function saveRows(model: LightGCN): SavedRows {
  const store = model.embedding.store;
  const ids = Int32Array.from({ length: store.numRows }, (_, c) => c);
  return { numUsers: model.numUsers, numItems: model.numItems, width: store.maxDim, rows: store.readRows(ids) };
}

/**
 * Copies the previous rows into the new table: user u → row u, item i → row numUsers + i. Each
 * row takes its first d_i values, zero beyond the old size: a shrinking row is truncated and a
 * growing one zero-extended. Ids new to this table keep their fresh rows.
 */
function warmStart(model: LightGCN, saved: SavedRows): void {
  const width = model.embedding.maxDim;
  const users = Math.min(saved.numUsers, model.numUsers);
  const items = Math.min(saved.numItems, model.numItems);
  const ids = new Int32Array(users + items);
  const values = new Float32Array((users + items) * width);
  const copy = Math.min(width, saved.width);
  const put = (k: number, target: number, source: number) => {
    ids[k] = target;
    values.set(saved.rows.subarray(source * saved.width, source * saved.width + copy), k * width);
  };
  for (let u = 0; u < users; ++u) put(u, u, u);
  for (let i = 0; i < items; ++i) put(users + i, model.numUsers + i, saved.numUsers + i);
  if (ids.length > 0) model.embedding.store.writeRows(ids, values);
}

interface Sizes {
  users: Int32Array;
  items: Int32Array;
}

function planOf(sizes: Sizes): SizePlan {
  const distinct = new Set<number>([...sizes.users, ...sizes.items]);
  return { candidates: [...distinct].sort((a, b) => a - b), tables: { users: sizes.users, items: sizes.items } };
}

interface TrainOptions {
  steps: number;
  /** Validation checks for early stopping; none for env models. */
  evalEvery?: number;
  patience?: number;
  /** Read the validation fitness after this many steps (conv_fitness). */
  convAt?: number;
  seed: number;
}

interface Trained {
  model: LightGCN;
  convFitness: number;
  validation: Ranking;
}

/** Trains a fresh LightGCN on a segment; `pause` runs between steps (search()'s checkpoint). */
async function trainSegment(segment: SegmentData, sizes: Sizes, warm: SavedRows | undefined, settings: ScallSettings,
                            context: SearchContext, options: TrainOptions, pause: () => Promise<void>): Promise<Trained> {
  const model = new LightGCN({ plan: planOf(sizes), interactions: segment.graph, seed: options.seed, device: context.device });
  if (warm !== undefined) warmStart(model, warm);
  const sampler = new BprSampler({
    users: segment.train.users, items: segment.train.items, numUsers: segment.numUsers, numItems: segment.numItems,
    negativeItems: segment.negativeItems, seed: options.seed,
  });
  const optimizer = new Adam(model.parameters(), { learningRate: settings.learningRate });
  const decay = new StepDecay(optimizer, { every: 200, gamma: 0.95, min: Math.min(1e-3, settings.learningRate) });
  const steps = sampler.sampledUsers.length === 0 ? 0 : options.steps;
  let convFitness: number | undefined;
  let best: { validation: Ranking; rows: SavedRows } | undefined;
  let sinceBest = 0;
  for (let step = 1; step <= steps; ++step) {
    await pause();
    optimizer.zeroGrad();
    backward(model.loss(sampler.sample(settings.batchSize)));
    optimizer.step();
    decay.step();
    if (step === options.convAt) convFitness = rank(model, segment, segment.validation).fitness;
    if (options.evalEvery !== undefined && (step % options.evalEvery === 0 || step === steps)) {
      const validation = rank(model, segment, segment.validation);
      if (best === undefined || validation.fitness > best.validation.fitness) {
        best = { validation, rows: saveRows(model) };
        sinceBest = 0;
      } else if (++sinceBest >= (options.patience ?? Infinity)) {
        break;
      }
    }
  }
  if (best !== undefined) warmStart(model, best.rows);
  const validation = best?.validation ?? rank(model, segment, segment.validation);
  return { model, convFitness: convFitness ?? validation.fitness, validation };
}

/** The mean user row and mean item row, `width` wide (zero-padded). */
function meanEmbeddings(model: LightGCN, width: number): [Float64Array, Float64Array] {
  const saved = saveRows(model);
  const pad = (mean: Float64Array) => {
    const out = new Float64Array(width);
    out.set(mean.subarray(0, Math.min(width, mean.length)));
    return out;
  };
  return [pad(meanRow(saved.rows, saved.width, 0, saved.numUsers)),
          pad(meanRow(saved.rows, saved.width, saved.numUsers, saved.numItems))];
}

/** What the state carries between steps besides the frequencies. */
interface Observation {
  reward: number;
  userMean: Float64Array;
  itemMean: Float64Array;
  action: SizeAction;
  userShares: ArrayLike<number>;
  itemShares: ArrayLike<number>;
  totalParams: number;
}

/** The segment trained last, as the next one needs it: the segment, its table's rows, conv_fitness and sizes. */
interface PreviousSegment {
  segment: SegmentData;
  rows: SavedRows;
  convFitness: number;
  sizes: Sizes;
}

/** The search between two segments, besides the agent: JSON values and tensors for a checkpoint. */
function segmentBoundary(index: number, previous: PreviousSegment | undefined, seen: Observation | undefined, tested: Ranking[],
                         envStepsRun: number, frozenAction: SizeAction | undefined): StateSnapshot {
  const state: Record<string, unknown> = { segment: index, tested, envStepsRun };
  if (frozenAction !== undefined) state.frozenAction = frozenAction;
  if (seen !== undefined) {
    state.seen = { ...seen, userMean: Array.from(seen.userMean), itemMean: Array.from(seen.itemMean),
                   userShares: Array.from(seen.userShares), itemShares: Array.from(seen.itemShares) };
  }
  if (previous === undefined) return { state, tensors: {} };
  const { rows } = previous;
  state.previous = { convFitness: previous.convFitness, numUsers: rows.numUsers, numItems: rows.numItems, width: rows.width };
  return { state, tensors: { "previous.rows": rows.rows, "previous.users": previous.sizes.users, "previous.items": previous.sizes.items } };
}

async function runScall(context: SearchContext): Promise<SearchOutcome> {
  if (context.task !== "implicit") throw new RangeError(`SCALL takes task "implicit", got "${context.task}"`);
  const range: SizeRange = { minSize: context.candidates[0]!, maxSize: context.candidates[context.candidates.length - 1]! };
  const settings = readScallSettings(context.settings, range);
  const budgetParams = context.budgetBytes === undefined ? Infinity : Math.floor(context.budgetBytes / 4);
  const meanSize = settings.meanSize ?? (context.budgetBytes === undefined ? 10 : undefined);
  const budgetFor = (ids: number): { totalParams: number } =>
    ({ totalParams: Math.min(budgetParams, meanSize === undefined ? Infinity : Math.floor(meanSize * ids)) });

  const stream = renumberedStream(context.data, settings.order, context.seed);
  const segments = scallSegments(stream.dataset, {
    newEntityThreshold: settings.newEntityThreshold, reservoirFraction: settings.reservoirFraction,
    trainFraction: settings.trainFraction, validationFraction: settings.validationFraction, seed: context.seed,
  }).segments.slice(0, settings.maxSegments);
  if (segments.length === 0) throw new RangeError("SCALL needs at least one interaction");

  const groups = settings.stateGroups;
  const width = range.maxSize;
  // Only "learned" keeps an agent. "frozen" acts once with an untrained one, built when needed
  // (the same from the same seed, on a resume too); "uniform" has none.
  const agentOptions = { stateDim: stateLength(groups, width), hidden: settings.hidden, seed: context.seed, device: context.device };
  const agent = settings.policy === "learned" ? new SacAgent(agentOptions) : undefined;
  const stateOf = (segment: SegmentData, seen: Observation) => scallState({
    userFrequencies: segment.userFrequencies, itemFrequencies: segment.itemFrequencies, reward: seen.reward,
    userMeanEmbedding: seen.userMean, itemMeanEmbedding: seen.itemMean, ratio: seen.action.ratio,
    userShares: seen.userShares, itemShares: seen.itemShares, totalParams: seen.totalParams, groups, embeddingWidth: width,
  });
  const sizesFor = (segment: SegmentData, action: SizeAction) => {
    const sampled = sampleSizes({ userFrequencies: segment.userFrequencies, itemFrequencies: segment.itemFrequencies,
                                  action, budget: budgetFor(segment.numUsers + segment.numItems), range });
    const [users, items] = limitSizeClasses([sampled.users, sampled.items],
                                            [rankByFrequency(segment.userFrequencies), rankByFrequency(segment.itemFrequencies)]);
    return { sizes: { users: users!, items: items! }, sampled };
  };
  const bytesOf = (sizes: Sizes) => 4 * (sizes.users.reduce((a, b) => a + b, 0) + sizes.items.reduce((a, b) => a + b, 0));
  // The largest table trained (a trial or a deployed segment): what the search held at its peak.
  let peakSearchBytes = 0;
  const held = (sizes: Sizes) => {
    const bytes = bytesOf(sizes);
    peakSearchBytes = Math.max(peakSearchBytes, bytes);
    return bytes;
  };

  let previous: PreviousSegment | undefined;
  let seen: Observation | undefined;
  let tested: Ranking[] = [];
  let envStepsRun = 0;
  let frozenAction: SizeAction | undefined;
  let first = 0;
  const { resume } = context;
  if (resume !== undefined) {
    agent?.restore(snapshotPart(resume, "agent"));
    const saved = resume.state as { segment: number; tested: Ranking[]; envStepsRun: number; seen?: Observation; frozenAction?: SizeAction;
                                    previous?: { convFitness: number; numUsers: number; numItems: number; width: number } };
    ({ segment: first, tested, envStepsRun, frozenAction } = saved);
    if (saved.seen !== undefined) {
      seen = { ...saved.seen, userMean: Float64Array.from(saved.seen.userMean), itemMean: Float64Array.from(saved.seen.itemMean) };
    }
    if (saved.previous !== undefined) {
      const { convFitness, numUsers, numItems, width: rowWidth } = saved.previous;
      previous = {
        segment: segmentData(stream.dataset, segments[first - 1]!, first - 1 === segments.length - 1),
        rows: { numUsers, numItems, width: rowWidth, rows: snapshotTensor(resume, "previous.rows", Float32Array) },
        convFitness,
        sizes: { users: snapshotTensor(resume, "previous.users", Int32Array), items: snapshotTensor(resume, "previous.items", Int32Array) },
      };
    }
  }
  // Per segment (the file's comment): every checkpoint in a segment saves the state captured at
  // its start. `tested`, `seen`, `previous` and `frozenAction` are replaced, never changed, so a
  // capture keeps them.
  let boundary: BoundaryState | undefined;
  const pause = () => context.checkpoint(() => boundary!);
  const atBoundary = (index: number) => {
    boundary = { ...nestSnapshots(agent === undefined ? {} : { agent: agent.snapshot() },
                                  segmentBoundary(index, previous, seen, tested, envStepsRun, frozenAction)),
                 events: context.eventCount() };
    return pause();
  };

  /** Search on D_{t−1} (segment `index` − 1): env steps with fresh models, rewarded on its validation slice. */
  const searchOn = async (learner: SacAgent, last: PreviousSegment, from: Observation, index: number): Promise<Observation> => {
    let observed = from;
    let state = stateOf(last.segment, observed);
    const ratios: number[] = [];
    for (let step = 0; step < settings.envSteps; ++step) {
      await pause();
      const action = learner.act(state);
      const sizeAction = actionToSizes(action);
      const { sizes: trial, sampled } = sizesFor(last.segment, sizeAction);
      const env = await trainSegment(last.segment, trial, undefined, settings, context,
                                     { steps: settings.envTrainSteps, seed: context.seed + 7919 * (envStepsRun + 1) }, pause);
      const conv = last.convFitness;
      const reward = conv > 0 ? env.validation.fitness / conv : 1;
      const [userMean, itemMean] = meanEmbeddings(env.model, width);
      const next: Observation = { reward, userMean, itemMean, action: sizeAction, userShares: sampled.userShares,
                                  itemShares: sampled.itemShares, totalParams: sampled.totalParams };
      const nextState = stateOf(last.segment, next);
      learner.remember({ state, action, reward: (10 * (reward - settings.rewardLow)) / (settings.rewardHigh - settings.rewardLow),
                         nextState });
      let criticLoss = 0;
      for (let update = 0; update < 3; ++update) criticLoss = learner.update().criticLoss;
      state = nextState;
      observed = next;
      envStepsRun += 1;
      context.report({ phase: `search ${index}`, step, total: settings.envSteps, bytes: held(trial), loss: criticLoss });
      ratios.push(actionToSizes(learner.act(state, true)).ratio);
      const recent = ratios.slice(-6);
      const settled = recent.length === 6 && recent.every((r, k) => k === 0 || Math.abs(r - recent[k - 1]!) < 0.01);
      if (step + 1 > settings.minEnvSteps && settled) break;
    }
    return observed;
  };

  for (let index = first; index < segments.length; ++index) {
    await atBoundary(index);
    const segment = segmentData(stream.dataset, segments[index]!, index === segments.length - 1);
    let sizes: Sizes;
    if (previous === undefined || seen === undefined || settings.policy === "uniform") {
      // D_0, and every segment of the "uniform" control: every id at P/(|U|+|V|) (uniformSizes).
      const uniform = uniformSizes(segment.numUsers, segment.numItems, budgetFor(segment.numUsers + segment.numItems), range);
      sizes = { users: uniform.users, items: uniform.items };
      const ratio = segment.numUsers / Math.max(1, segment.numUsers + segment.numItems);
      seen = { reward: 0, userMean: new Float64Array(width), itemMean: new Float64Array(width),
               action: { ratio, userAlpha: alphaRange.max, itemAlpha: alphaRange.max },
               userShares: [], itemShares: [], totalParams: uniform.totalParams };
    } else {
      let action: SizeAction;
      if (agent !== undefined) {
        seen = await searchOn(agent, previous, seen, index);
        // Deploy on D_t: D_t's frequencies, the reward and mean embeddings carried over.
        action = actionToSizes(agent.act(stateOf(segment, seen), true));
      } else {
        // "frozen": the untrained agent's tanh(μ(s)) where the learned run first acts (segment 1's
        // search, on D_0's state), deployed with each segment's frequencies.
        frozenAction ??= actionToSizes(new SacAgent(agentOptions).act(stateOf(previous.segment, seen), true));
        action = frozenAction;
      }
      const deployed = sizesFor(segment, action);
      sizes = deployed.sizes;
      seen = { ...seen, action, userShares: deployed.sampled.userShares, itemShares: deployed.sampled.itemShares,
               totalParams: deployed.sampled.totalParams };
    }
    const trained = await trainSegment(segment, sizes, previous?.rows, settings, context,
                                       { steps: settings.trainSteps, evalEvery: settings.evalEvery, patience: settings.patience,
                                         convAt: settings.envTrainSteps, seed: context.seed + index }, pause);
    const [userMean, itemMean] = meanEmbeddings(trained.model, width);
    seen = { ...seen, userMean, itemMean };
    const test = rank(trained.model, segment, segment.test);
    tested = [...tested, test];
    context.report({ phase: `segment ${index}`, step: index, total: segments.length, bytes: held(sizes) });
    previous = { segment, rows: saveRows(trained.model), convFitness: trained.convFitness, sizes };
  }
  await atBoundary(segments.length);

  // The last segment's table covers every id: map its sizes back to the data set's ids.
  const final = previous!;
  const users = new Int32Array(context.data.numUsers);
  const items = new Int32Array(context.data.numItems);
  final.sizes.users.forEach((d, id) => { users[stream.userOf[id]!] = d; });
  final.sizes.items.forEach((d, id) => { items[stream.itemOf[id]!] = d; });
  const reported = tested.length > 1 ? tested.slice(1) : tested;
  const mean = (pick: (r: Ranking) => number) => reported.reduce((sum, r) => sum + pick(r), 0) / reported.length;
  return {
    plan: planOf({ users, items }),
    peakSearchBytes,
    searchMetrics: {
      recall20: mean((r) => r.recall),
      ndcg20: mean((r) => r.ndcg),
      segments: segments.length,
      envSteps: envStepsRun,
      budgetParams: budgetFor(context.data.numUsers + context.data.numItems).totalParams,
    },
  };
}

export const scallMethod: SearchMethodDefinition = {
  defaultCandidates: [1, 256],
  tasks: ["implicit"],
  settings: scallSettings,
  run: runScall,
};

export interface ScallControllerOptions {
  /** The user's tables; their candidate sizes are the sizes the controller may give. */
  users: MixedDimEmbedding;
  items: MixedDimEmbedding;
  /** P: a total of floats, or a mean size. */
  budget: SizeBudget;
  /** Reward scaling (default 0.9, 1.1). */
  rewardLow?: number;
  rewardHigh?: number;
  /** State pooling groups (default 256) and the agent's hidden width (default 512). */
  stateGroups?: number;
  hidden?: number;
  /** Sample actions (default true: each segment is the agent's experiment); false takes tanh(μ). */
  explore?: boolean;
  seed?: number;
}

/**
 * SCALL in the user's own loop: at each segment boundary call step() with the new segment's
 * frequencies (one count per id; longer arrays mean new ids) and, from the second call on, the
 * fitness the last sizes reached and the conv_fitness to normalise it by. The controller
 * rewards the last action with fitness / conv_fitness, updates the agent (3 SAC updates), picks
 * the next action, and resizes both tables: new ids are added, rows shrink by truncation and
 * grow with zeros. Sizes are snapped to the tables' candidates, so Σ stays at most P and falls
 * short by less than the smallest step between candidates. Unlike search(), each segment is one
 * environment step (no fresh env models): the deployment itself is the experiment.
 */
export class ScallController {
  readonly agent: SacAgent;
  readonly budget: SizeBudget;
  readonly #users: MixedDimEmbedding;
  readonly #items: MixedDimEmbedding;
  readonly #groups: number;
  readonly #rewardLow: number;
  readonly #rewardHigh: number;
  readonly #explore: boolean;
  #last: { state: Float32Array; action: Float32Array; observation: Observation } | undefined;

  constructor(options: ScallControllerOptions) {
    this.#users = options.users;
    this.#items = options.items;
    this.budget = options.budget;
    this.#groups = integerInRange(options.stateGroups ?? 256, "stateGroups", 1, 1 << 16);
    this.#rewardLow = numberInRange(options.rewardLow ?? 0.9, "rewardLow", -Infinity, Infinity);
    this.#rewardHigh = numberInRange(options.rewardHigh ?? 1.1, "rewardHigh", this.#rewardLow, Infinity);
    this.#explore = options.explore ?? true;
    this.agent = new SacAgent({ stateDim: stateLength(this.#groups, this.#width), hidden: options.hidden ?? 512, seed: options.seed ?? 0,
                                device: this.#users.store.device });
  }

  get #width(): number {
    return Math.max(this.#users.maxDim, this.#items.maxDim);
  }

  /** Resizes both tables for the next segment; returns the sizes given and the action taken. */
  step(input: { userFrequencies: ArrayLike<number>; itemFrequencies: ArrayLike<number>; fitness?: number; convFitness?: number }):
      { users: Int32Array; items: Int32Array; action: SizeAction } {
    const { userFrequencies, itemFrequencies } = input;
    for (const [table, frequencies, name] of [[this.#users, userFrequencies, "userFrequencies"], [this.#items, itemFrequencies, "itemFrequencies"]] as const) {
      if (frequencies.length < table.numRows) throw new RangeError(`${name} has ${frequencies.length} ids but the table holds ${table.numRows}`);
      if (frequencies.length > table.numRows) table.addRows(new Int32Array(frequencies.length - table.numRows).fill(table.store.candidates[0]!));
    }
    const width = this.#width;
    const mean = (table: MixedDimEmbedding) => {
      const rows = table.store.readRows(Int32Array.from({ length: table.numRows }, (_, k) => k));
      const m = meanRow(rows, table.maxDim, 0, table.numRows);
      const out = new Float64Array(width);
      out.set(m);
      return out;
    };
    const seen: Observation = this.#last?.observation ?? {
      reward: 0, userMean: new Float64Array(width), itemMean: new Float64Array(width),
      action: { ratio: 0.5, userAlpha: alphaRange.max, itemAlpha: alphaRange.max }, userShares: [], itemShares: [], totalParams: 0,
    };
    const reward = this.#last !== undefined && input.fitness !== undefined
      ? (input.convFitness !== undefined && input.convFitness > 0 ? input.fitness / input.convFitness : 1) : seen.reward;
    const observed: Observation = { ...seen, reward, userMean: mean(this.#users), itemMean: mean(this.#items) };
    const state = scallState({ userFrequencies, itemFrequencies, reward, userMeanEmbedding: observed.userMean,
                               itemMeanEmbedding: observed.itemMean, ratio: seen.action.ratio, userShares: seen.userShares,
                               itemShares: seen.itemShares, totalParams: seen.totalParams, groups: this.#groups, embeddingWidth: width });
    if (this.#last !== undefined && input.fitness !== undefined) {
      this.agent.remember({ state: this.#last.state, action: this.#last.action, nextState: state,
                            reward: (10 * (reward - this.#rewardLow)) / (this.#rewardHigh - this.#rewardLow) });
      for (let update = 0; update < 3; ++update) this.agent.update();
    }
    const action = this.agent.act(state, !this.#explore);
    const sizeAction = actionToSizes(action);
    const range = { minSize: Math.max(this.#users.store.candidates[0]!, this.#items.store.candidates[0]!),
                    maxSize: Math.min(this.#users.maxDim, this.#items.maxDim) };
    const sampled = sampleSizes({ userFrequencies, itemFrequencies, action: sizeAction, budget: this.budget, range });
    const users = snapToLevels(sampled.users, rankByFrequency(userFrequencies), this.#users.store.candidates, false);
    const items = snapToLevels(sampled.items, rankByFrequency(itemFrequencies), this.#items.store.candidates, false);
    this.#users.resize(Int32Array.from(users.keys()), users);
    this.#items.resize(Int32Array.from(items.keys()), items);
    this.#last = { state, action, observation: { ...observed, action: sizeAction, userShares: sampled.userShares,
                                                 itemShares: sampled.itemShares, totalParams: sampled.totalParams } };
    return { users, items, action: sizeAction };
  }
}
