/**
 * Which runs the end-to-end benchmark makes, at three sizes:
 * - "full" (`npm run bench:e2e`): the MovieLens files whole, synthetic-ml20m at 1M ratings,
 *   synthetic-ctr at 200k rows, every method at its reference's widths, three seeds; bounded so
 *   that it finishes within an hour on 2 cores (the run's duration is in REPRODUCTION.md);
 * - "quick" (`--quick`): the same runs on the first 10k rows of each set (synthetic ones drawn at
 *   10k rows), in minutes;
 * - "tiny" (`--tiny`, the test): a few hundred rows, narrow models, two seeds, the binary task
 *   and the CTR comparison on the synthetic CTR set alone, in seconds.
 *
 * The comparisons (methods.md A4, A5):
 * - rating: FIXED (every id at 128), DARTS, AutoEmb and ESAPN on the binary and five-class
 *   streams, with no budget, as the ESAPN slides compare them; and two controls for ESAPN:
 *   FIXED with every id at the one size ESAPN's final plan pays for (equal memory), and ESAPN
 *   whose policy never learns (on MovieLens), which tells whether the learned policy matters. Every method trains
 *   its recommender with the FIXED protocol's batch 250 and Adam 5e-4 (ratingExperimentDefaults;
 *   ESAPN's reference uses 500 and 1e-3), so that only the sizes differ. Both protocols on
 *   MovieLens. On synthetic-ml20m the time-ordered binary stream alone: its rows are drawn
 *   independently of time, so the shuffle changes nothing, and the soft searches (all six sizes of
 *   every sample, 7k samples/s) make a million ratings take minutes a run.
 * - ctr: FIXED at 64, and FIXED, MDE, DARTS and AutoDim at an equal budget (a mean size of 16
 *   per id, a quarter of 64, where FIXED lands exactly), over AutoDim's candidates {2, …, 64}.
 *   Rows are split at random (ctrSplit) whatever the protocol.
 * - implicit: FIXED and SCALL at an equal budget (a mean size of 16 per id); SCALL's plan is also
 *   retrained under FIXED's protocol, so that both are scored on one split. Time order only:
 *   SCALL's segments are cut in time. On synthetic-ml20m the first 200k ratings: SCALL trains a
 *   LightGCN over the whole graph so far for every env step, and 1M ratings take over 10 minutes
 *   a run even with the bounded settings below.
 * - learning (issue #14): does a search's policy learn anything its frozen self does not? ESAPN
 *   (binary, each reward) and SCALL (implicit) with their policies learning ("learned") and kept
 *   at their initial weights ("frozen"), and SCALL's "uniform" mode (every id at ⌊P/(|U|+|V|)⌋ in
 *   its own stream protocol), all at the equal budget (a mean size of 16 per id: the same bytes
 *   for every variant of a data set, protocol and seed, since the binary and implicit tasks have
 *   the same tables). MovieLens, both protocols; in the tiny profile synthetic-ml20m instead.
 */
import { settingsReadBy, type SizePolicy } from "../../search/scall/scall_settings.js";
import type { SearchMethod, SearchTask } from "../../search/search_types.js";
import { ratingExperimentDefaults } from "../../training/rating_experiment.js";
import type { DatasetName, DatasetScale, Protocol } from "./datasets.js";
import type { Family, RunSpec } from "./run_record.js";

export type Profile = "full" | "quick" | "tiny";

interface MethodRun {
  method: SearchMethod;
  label: string;
  candidates?: number[];
  budgetMeanSize?: number;
  budgetBytesOf?: string;
  settings: Record<string, unknown>;
  /** Run on these data sets only (default: every one of the family). */
  only?: DatasetName[];
  /** Run on this task only (default: every task of the family's data sets). */
  task?: SearchTask;
}

interface DatasetRuns {
  name: DatasetName;
  protocols: Protocol[];
  tasks: SearchTask[];
  /** A tighter row limit than the profile's, for this family on this set. */
  limit?: number;
}

interface FamilyPlan {
  family: Family;
  /** FIXED's full size in the comparison, which size ratios are taken against. */
  referenceSize: number;
  datasets: DatasetRuns[];
  methods: MethodRun[];
}

export interface Suite {
  profile: Profile;
  seeds: number[];
  scale: DatasetScale;
  runs: RunSpec[];
}

const ctrCandidates = [2, 4, 8, 16, 32, 64];
/** The label of FIXED at the size ESAPN's final plan costs, ESAPN's equal-memory control. */
export const fixedAtEsapnBytes = "FIXED (ESAPN's bytes)";
/** The label of ESAPN with a policy that does not learn. */
export const esapnFrozenPolicy = "ESAPN (frozen policy)";
/** The equal budget of the CTR, implicit and learning comparisons, as a mean size per id. */
export const equalBudgetMeanSize = 16;

/** The learning family's searches, each run in every policy mode it has (labels: learningLabel). */
export const learningSearches = [
  { name: "ESAPN immediate", method: "esapn", task: "binary", settings: { reward: "immediate" }, policies: ["learned", "frozen"] },
  { name: "ESAPN delayed", method: "esapn", task: "binary", settings: { reward: "delayed" }, policies: ["learned", "frozen"] },
  { name: "SCALL", method: "scall", task: "implicit", settings: {}, policies: ["learned", "frozen", "uniform"] },
] as const;

/** A learning-family row's label: its search and policy mode, e.g. "ESAPN delayed (frozen)". */
export function learningLabel(search: string, policy: string): string {
  return `${search} (${policy})`;
}

const scales: Record<Profile, DatasetScale> = {
  full: { ml20mRatings: 1_000_000, ctrRows: 200_000 },
  quick: { ml20mRatings: 10_000, ctrRows: 10_000, limit: 10_000 },
  tiny: { ml20mRatings: 2_000, ctrRows: 2_000, limit: 600 },
};

/** Narrow models for the tiny profile, so that a run takes a fraction of a second. */
function tinyWidths(family: Family, method: SearchMethod): Record<string, unknown> {
  if (family === "ctr") return method === "darts" || method === "autodim" ? { hidden: [8] } : {};
  return { darts: { hidden: 16 }, autoemb: { hidden: 16, controllerHidden: 16, frequencyDim: 4 },
           esapn: { hidden: 16, policyHidden: 16 } }[method as string] ?? {};
}

/** SCALL bounded: at most six segments, a few env steps of short trainings each. */
function scallSettings(profile: Profile, dataset: DatasetName): Record<string, unknown> {
  if (profile === "tiny") {
    return { newEntityThreshold: 150, envSteps: 2, minEnvSteps: 1, envTrainSteps: 3, trainSteps: 6, evalEvery: 3,
             batchSize: 128, stateGroups: 8, hidden: 16, maxSegments: 3 };
  }
  // About five segments on each set (ml-100k has 2,625 ids, ml-latest-small 10,334; the reference cuts every 15,000).
  const newEntityThreshold = profile === "quick" ? 300 : { "ml-100k": 500, "ml-latest-small": 2_000 }[dataset as string] ?? 15_000;
  return { newEntityThreshold, envSteps: 3, minEnvSteps: 2, envTrainSteps: 30, trainSteps: 200, evalEvery: 100,
           batchSize: 2048, stateGroups: 64, hidden: 128, maxSegments: 6 };
}

function families(profile: Profile): FamilyPlan[] {
  const tiny = profile === "tiny";
  const ratingTasks: SearchTask[] = tiny ? ["binary"] : ["binary", "multiclass"];
  const movieLens = (protocols: Protocol[], tasks: SearchTask[]): DatasetRuns[] =>
    [{ name: "ml-100k", protocols, tasks }, { name: "ml-latest-small", protocols, tasks }];
  const sameStream = { batchSize: ratingExperimentDefaults.batchSize, learningRate: ratingExperimentDefaults.learningRate };
  const budget = { budgetMeanSize: equalBudgetMeanSize };
  return [
    {
      family: "rating",
      referenceSize: 128,
      datasets: [...movieLens(["time", "shuffle"], ratingTasks),
                 { name: "synthetic-ml20m", protocols: tiny ? ["time", "shuffle"] : ["time"], tasks: ["binary"] }],
      methods: [
        { method: "fixed", label: "FIXED", settings: {} },
        { method: "darts", label: "DARTS", settings: {} },
        { method: "autoemb", label: "AutoEmb", settings: {} },
        { method: "esapn", label: "ESAPN", settings: sameStream },
        // The diagnosis of ESAPN's policy: its reward does not depend on the action (search/esapn/README.md),
        // so a policy that keeps its initial weights should size ids as the trained one does.
        { method: "esapn", label: esapnFrozenPolicy, settings: { ...sameStream, policy: "frozen" },
          only: ["ml-100k", "ml-latest-small", ...(tiny ? ["synthetic-ml20m" as const] : [])] },
        // ESAPN's equal-memory control: every id at the one size ESAPN's bytes buy (every size 1..128 a candidate).
        { method: "fixed", label: fixedAtEsapnBytes, candidates: Array.from({ length: 128 }, (_, k) => k + 1),
          budgetBytesOf: "ESAPN", settings: {} },
      ],
    },
    {
      family: "ctr",
      referenceSize: 64,
      datasets: [{ name: "synthetic-ctr", protocols: ["shuffle"], tasks: ["ctr"] },
                 ...(tiny ? [] : [...movieLens(["shuffle"], ["ctr"]), { name: "synthetic-ml20m" as const, protocols: ["shuffle" as const], tasks: ["ctr" as const] }])],
      methods: [
        { method: "fixed", label: "FIXED", candidates: ctrCandidates, settings: {} },
        { method: "fixed", label: "FIXED (equal budget)", candidates: ctrCandidates, ...budget, settings: {} },
        { method: "mde", label: "MDE", candidates: ctrCandidates, ...budget, settings: {} },
        { method: "darts", label: "DARTS", candidates: ctrCandidates, ...budget, settings: {} },
        { method: "autodim", label: "AutoDim", candidates: ctrCandidates, ...budget, settings: {} },
      ],
    },
    {
      family: "implicit",
      referenceSize: 128,
      datasets: [...movieLens(["time"], ["implicit"]),
                 { name: "synthetic-ml20m", protocols: ["time"], tasks: ["implicit"], ...(profile === "full" ? { limit: 200_000 } : {}) }],
      methods: [
        { method: "fixed", label: "FIXED (equal budget)", ...budget, settings: {} },
        { method: "scall", label: "SCALL", ...budget, settings: {} },
      ],
    },
    {
      family: "learning",
      referenceSize: 128,
      datasets: tiny ? [{ name: "synthetic-ml20m", protocols: ["time", "shuffle"], tasks: ["binary", "implicit"] }]
        : movieLens(["time", "shuffle"], ["binary", "implicit"]),
      methods: learningSearches.flatMap(({ name, method, task, settings, policies }) => policies.map((policy) => ({
        method, task, label: learningLabel(name, policy), ...budget,
        settings: { ...(method === "esapn" ? sameStream : {}), ...settings, policy },
      }))),
    },
  ];
}

/** Every run of a profile, grouped by (family, data set, protocol, task) and seed, methods innermost. */
export function buildSuite(profile: Profile, seeds: number[] = profile === "tiny" ? [1, 2] : [1, 2, 3]): Suite {
  const scale = scales[profile];
  const runs: RunSpec[] = [];
  for (const plan of families(profile)) {
    for (const { name: dataset, protocols, tasks, limit } of plan.datasets) {
      for (const protocol of protocols) {
        for (const task of tasks) {
          for (const seed of seeds) {
            const runsHere = plan.methods.filter((method) => (method.only === undefined || method.only.includes(dataset)) &&
              (method.task === undefined || method.task === task));
            for (const run of runsHere) {
              const widths = profile === "tiny" ? tinyWidths(plan.family, run.method) : {};
              const policy = (run.settings.policy ?? "learned") as SizePolicy;
              const settings = { ...run.settings, ...widths,
                                 ...(run.method === "scall" ? settingsReadBy(policy, scallSettings(profile, dataset)) : {}) };
              const label = run.label.replace(/[^A-Za-z0-9]+/g, "-").replace(/-$/, "").toLowerCase();
              runs.push({
                id: `${plan.family}_${dataset}_${protocol}_${task}_${label}_s${seed}`,
                family: plan.family, dataset, protocol, task, method: run.method, label: run.label, seed,
                scale: limit === undefined ? scale : { ...scale, limit }, settings, referenceSize: plan.referenceSize,
                ...(run.candidates === undefined ? {} : { candidates: run.candidates }),
                ...(run.budgetMeanSize === undefined ? {} : { budgetMeanSize: run.budgetMeanSize }),
                ...(run.budgetBytesOf === undefined ? {} : { budgetBytesOf: run.budgetBytesOf }),
                keepForReport: seed === seeds[0],
              });
            }
          }
        }
      }
    }
  }
  return { profile, seeds, scale, runs };
}
