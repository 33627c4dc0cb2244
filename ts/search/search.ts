/**
 * search(): one entry point for every size-search method. It checks the options, resolves the
 * candidates, task and budget, runs the method, holds the plan to the budget (SCALL meets it by
 * construction; the others are constrained here, see budget.ts), then trains and scores that
 * held plan by the common protocol (evaluatePlan): result.metrics are always the returned
 * plan's, and the search's own online figures are result.searchMetrics.
 *
 * Cancellation and resuming: the method's loop awaits context.checkpoint() between steps, which
 * yields to the event loop now and then (yield_point.ts) and, once `signal` has aborted the
 * search, hands the method's state to options.checkpoint.save with the history and the search's
 * fingerprint (search_snapshot.ts). An abort seen after the method returned saves the outcome
 * itself, so that resuming then costs nothing.
 *
 * @example
 * const result = await search({ method: "fixed", data: generateSynthetic({ numUsers: 500, numItems: 300, numRatings: 20_000 }) });
 * result.plan.tables.users;   // each user's size
 */
import { int32Array, integerInRange } from "../arguments.js";
import { resolveDevice } from "../backend.js";
import { ratingFields } from "../data/rating_fields.js";
import { planBytes, planRatio, type SizePlan } from "../plan/size_plan.js";
import { constrainPlanToBudget, resolveBudget } from "./budget.js";
import { evaluatePlan, planTables, tableFrequencies } from "./plan_evaluation.js";
import type { SearchContext, SearchOutcome } from "./search_context.js";
import { searchMethods, settingsOf } from "./search_methods.js";
import { checkSettings } from "./setting_table.js";
import { finishedOutcome, finishedSnapshot, searchFingerprint } from "./search_snapshot.js";
import type {
  PlanEvaluator, SearchCheckpointing, SearchEvent, SearchOptions, SearchResult, SearchTask,
} from "./search_types.js";
import { YieldPoint } from "./yield_point.js";

const allMethods = ["fixed", "mde", "darts", "autoemb", "autodim", "esapn", "scall"] as const;

export async function search(options: SearchOptions): Promise<SearchResult> {
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  if (!(allMethods as readonly string[]).includes(options.method)) {
    throw new TypeError(`method must be one of ${allMethods.map((m) => `"${m}"`).join(", ")}, got ${JSON.stringify(options.method)}`);
  }
  const method = searchMethods[options.method];
  if (method === undefined) throw new Error(`method "${options.method}" is not available in this build of mixdim`);
  if (typeof options.data !== "object" || options.data === null || !(options.data.users instanceof Int32Array)) {
    throw new TypeError("data must be a ratings dataset (loadRatings or generateSynthetic)");
  }
  const candidates = Array.from(int32Array(options.candidates ?? method.defaultCandidates, "candidates"));
  candidates.forEach((d, i) => {
    integerInRange(d, `candidates[${i}]`, 1, 65536);
    if (i > 0 && d <= candidates[i - 1]!) throw new RangeError(`candidates must be strictly increasing, got [${candidates.join(", ")}]`);
  });
  if (candidates.length === 0) throw new RangeError("candidates must hold at least one size");
  // Without categorical fields the rating task is the natural default even for CTR-first methods.
  const task: SearchTask = options.task ??
    (options.data.fields === undefined && method.tasks.includes("binary") ? "binary" : method.tasks[0]!);
  if (!method.tasks.includes(task)) {
    throw new RangeError(`method "${options.method}" does not take task "${task}" (it takes ${method.tasks.map((t) => `"${t}"`).join(", ")})`);
  }
  // Ratings without categorical fields take part in CTR search with user and item as the fields.
  const data = task === "ctr" && options.data.fields === undefined ? { ...options.data, fields: ratingFields(options.data) } : options.data;
  const rows = planTables(data, task);
  const budgetBytes = resolveBudget(options.budget, rows, candidates, method.anyIntegerSize ? 1 : candidates[0]);
  const history: SearchEvent[] = [];
  const seed = integerInRange(options.seed ?? 0, "seed", 0, Number.MAX_SAFE_INTEGER);
  const settings = options.settings ?? {};
  checkSettings(options.method, task, settingsOf(method), settings);
  const checkpointing = checkCheckpointing(options.checkpoint);
  if (options.planEvaluator !== undefined && typeof options.planEvaluator !== "function") {
    throw new TypeError("planEvaluator must be a function (plan, context) => Promise<metrics>");
  }
  let fingerprint: string | undefined;
  const fingerprintNow = () =>
    fingerprint ??= searchFingerprint({ method: options.method, task, candidates, seed, budgetBytes, settings, data });
  const resume = checkpointing?.resume;
  if (resume !== undefined) {
    if (resume.method !== options.method || resume.fingerprint !== fingerprintNow()) {
      throw new RangeError(`checkpoint.resume was saved by a different search (method "${resume.method}"); resume it with the ` +
                           "data, task, candidates, budget, seed and settings it was started with");
    }
    history.push(...resume.history);
  }
  const yieldPoint = new YieldPoint();
  const context: SearchContext = {
    method: options.method,
    data,
    candidates,
    task,
    device: resolveDevice(options.device ?? "cpu"),
    seed,
    budgetBytes,
    settings,
    signal: options.signal,
    report: (event) => {
      history.push({ phase: event.phase, step: event.step, bytes: event.bytes,
                     ...(event.loss === undefined ? {} : { loss: event.loss }),
                     ...(event.accuracy === undefined ? {} : { accuracy: event.accuracy }) });
      options.onProgress?.({ method: options.method, ...event });
    },
    resume: resume === undefined ? undefined : { state: resume.state, tensors: resume.tensors },
    checkpoint: async (capture) => {
      await yieldPoint.turn();
      if (options.signal?.aborted !== true) return;
      if (checkpointing !== undefined) {
        const { state, tensors, events = history.length } = capture();
        await checkpointing.save({ method: options.method, fingerprint: fingerprintNow(), history: history.slice(0, events),
                                   state, tensors });
      }
      options.signal.throwIfAborted();
    },
    eventCount: () => history.length,
  };
  options.signal?.throwIfAborted();
  const finished = context.resume === undefined ? undefined : finishedOutcome(context.resume);
  const outcome = finished ?? await method.run(context);
  if (finished === undefined) await context.checkpoint(() => finishedSnapshot(outcome));
  const plan = budgetBytes === undefined ? outcome.plan
    : constrainPlanToBudget(outcome.plan, budgetBytes, tableFrequencies(data, task));
  return {
    method: options.method,
    task,
    plan,
    bytes: planBytes(plan),
    ratio: planRatio({ candidates, tables: plan.tables }),
    ...(budgetBytes === undefined ? {} : { budgetBytes }),
    history,
    metrics: await planMetrics(plan, outcome, context, options.planEvaluator),
    searchMetrics: outcome.searchMetrics,
    peakSearchBytes: outcome.peakSearchBytes,
  };
}

/**
 * The returned plan's figures: the method's own when it trained exactly this plan (AutoDim's
 * inherited retraining), else the plan trained and scored by evaluatePlan (or the caller's
 * planEvaluator); none when settings.evaluatePlan is false.
 */
async function planMetrics(plan: SizePlan, outcome: SearchOutcome, context: SearchContext,
                           planEvaluator: PlanEvaluator | undefined): Promise<Record<string, number>> {
  if (context.settings.evaluatePlan === false) return {};
  if (plan === outcome.plan && outcome.planMetrics !== undefined) return outcome.planMetrics;
  context.report({ phase: "retrain", step: 0, bytes: planBytes(plan) });
  return planEvaluator === undefined ? evaluatePlan(plan, context) : await planEvaluator(plan, context);
}

function checkCheckpointing(checkpoint: SearchCheckpointing | undefined): SearchCheckpointing | undefined {
  if (checkpoint === undefined) return undefined;
  if (typeof checkpoint !== "object" || checkpoint === null || typeof checkpoint.save !== "function") {
    throw new TypeError("checkpoint must be an object { save(snapshot), resume? }");
  }
  const { resume } = checkpoint;
  if (resume !== undefined && (typeof resume !== "object" || resume === null || typeof resume.state !== "object" ||
                               typeof resume.tensors !== "object" || !Array.isArray(resume.history))) {
    throw new TypeError("checkpoint.resume must be a snapshot that checkpoint.save received");
  }
  return checkpoint;
}
