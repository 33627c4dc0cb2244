/**
 * mixdim retrain --plan plan.json [--data FILE] [--task T] [--seed N] [--epochs N] [--out DIR]
 * [--checkpoint DIR] [--resume] [--json]
 *
 * Retrains a plan from scratch and prints its metrics, the way search() evaluates every plan
 * (plan_evaluation.ts). Rating tasks retrain through plan_training.ts: Ctrl-C checkpoints, --resume
 * continues, and --out keeps the model (model/) for export. CTR and implicit tasks run
 * evaluatePlan as search() does (no checkpoint: they are not interruptible mid-run).
 */
import path from "node:path";

import { Command } from "commander";

import { readPlan } from "../export/plan_export.js";
import { planBytes, planRatio, type SizePlan } from "../plan/size_plan.js";
import { evaluatePlan, planTables } from "../search/plan_evaluation.js";
import type { SearchData, SearchTask } from "../search/search_types.js";
import { UsageError } from "./cli_errors.js";
import { dataSpec, loadData } from "./data_source.js";
import { interruptOnSigint } from "./interrupt.js";
import { addDataOptions, addOutputOptions, parseEpochs, parseSeed, type DataFlags, type OutputFlags } from "./option_parsers.js";
import { trainPlan, type PlanTraining } from "./plan_training.js";
import { formatBytes, progressReporter, type ProgressUpdate } from "./progress_reporter.js";
import { checkpointDir, readSavedRun, resumedSpec, type RunSpec, type SavedRun } from "./run_checkpoint.js";
import { jsonMetrics, jsonText, writeRunOutputs } from "./run_outputs.js";
import { formatTable, planSummary, type Cell } from "./summary_table.js";

interface RetrainFlags extends DataFlags, OutputFlags {
  plan?: string;
  seed?: number;
  epochs?: number;
  out?: string;
  checkpoint?: string;
  resume?: boolean;
}

export function registerRetrain(program: Command): void {
  const command = program.command("retrain").description("retrain a plan (plan.json) from scratch and print its metrics")
    .option("--plan <file>", "the plan, as search --out or export wrote it");
  addDataOptions(command)
    .option("--seed <n>", "seed (default 0)", parseSeed)
    .option("--epochs <n>", "rating tasks: passes over the training head (default 1)", parseEpochs)
    .option("--out <dir>", "write plan.json, the metrics and the trained model (model/) here")
    .option("--checkpoint <dir>", "where Ctrl-C saves (default <out>/checkpoint, else ./mixdim-checkpoint)")
    .option("--resume", "continue the run saved in the checkpoint");
  addOutputOptions(command).action((flags: RetrainFlags) => retrainAction(flags));
}

/** The plan must size every table the task trains, id for id. */
export function checkPlanFitsData(plan: SizePlan, data: SearchData, task: SearchTask, source: string): void {
  for (const [table, rows] of Object.entries(planTables(data, task))) {
    const sizes = plan.tables[table];
    if (sizes === undefined) throw new RangeError(`${source} has no table "${table}", which task "${task}" trains`);
    if (sizes.length !== rows) throw new RangeError(`${source} sizes ${sizes.length} ids of "${table}" but the data has ${rows}`);
  }
}

export interface Retraining {
  metrics: Record<string, number>;
  training?: PlanTraining;
}

/** Retrains and evaluates a plan: interruptibly for rating tasks, as search() does otherwise. */
export async function retrainPlan(plan: SizePlan, data: SearchData, spec: RunSpec, task: SearchTask, io: {
  signal: AbortSignal; onProgress: (p: ProgressUpdate) => void; checkpointDir?: string; resume?: SavedRun;
}): Promise<Retraining> {
  if (task === "binary" || task === "multiclass") {
    const training = await trainPlan(data, plan, {
      task, seed: spec.seed, epochs: spec.epochs, signal: io.signal, onProgress: io.onProgress,
      ...(io.resume?.hasModel && io.checkpointDir !== undefined ? { resumeFrom: io.checkpointDir } : {}),
      ...(io.checkpointDir === undefined ? {} : { interruptTo: { dir: io.checkpointDir, state: { spec, task } } }),
    });
    return { metrics: training.metrics, training };
  }
  io.onProgress({ phase: `retrain (${task})`, step: 0, bytes: planBytes(plan) });
  const metrics = evaluatePlan(plan, { data, task, seed: spec.seed, settings: {}, signal: io.signal });
  return { metrics };
}

export function metricsRow(label: string, plan: SizePlan, task: SearchTask, metrics: Record<string, number>): Record<string, Cell> {
  return {
    run: label, task, bytes: formatBytes(planBytes(plan)),
    ...Object.fromEntries(Object.entries(metrics).filter(([k]) => k !== "samplesPerSecond")),
  };
}

async function retrainAction(flags: RetrainFlags): Promise<void> {
  const dir = checkpointDir(flags.checkpoint, flags.out);
  let spec: RunSpec;
  let plan: SizePlan;
  let saved: SavedRun | undefined;
  const given: Partial<RunSpec> = {
    data: flags.data === undefined && flags.limit === undefined ? undefined : dataSpec(flags.data, flags.limit),
    task: flags.task, seed: flags.seed, epochs: flags.epochs,
  };
  if (flags.resume) {
    saved = await readSavedRun(dir, "retrain");
    spec = resumedSpec(saved.spec, given);
    if (saved.plan === null) throw new UsageError(`--resume: ${dir} holds no plan`);
    plan = saved.plan;
  } else {
    if (flags.plan === undefined) throw new UsageError("retrain needs --plan <file>");
    plan = await readPlan(path.resolve(flags.plan));
    spec = { command: "retrain", data: given.data ?? dataSpec(undefined, undefined), task: given.task ?? "binary",
             seed: given.seed ?? 0, epochs: given.epochs ?? 1 };
  }
  const task = spec.task ?? "binary";
  const reporter = progressReporter({ quiet: flags.quiet ?? false });
  const interrupt = interruptOnSigint();
  try {
    const { data, description } = await loadData(spec.data, interrupt.signal);
    checkPlanFitsData(plan, data, task, flags.plan ?? "the plan");
    reporter.note(`${saved === undefined ? "retraining" : "resuming"}: ${planSummary(plan)} on ${description}`);
    const { metrics, training } = await retrainPlan(plan, data, spec, task, {
      signal: interrupt.signal, onProgress: (p) => reporter.update(p), checkpointDir: dir,
      ...(saved === undefined ? {} : { resume: saved }),
    });
    reporter.stop();
    const written = flags.out === undefined ? undefined : await writeRunOutputs(flags.out, {
      plan, spec, task, metrics, result: { task, data: description, metrics: jsonMetrics(metrics) },
      ...(training === undefined ? {} : { training }),
    });
    if (flags.json) {
      process.stdout.write(`${jsonText({ task, data: description, bytes: planBytes(plan), ratio: planRatio(plan),
                                               metrics: jsonMetrics(metrics), ...(written === undefined ? {} : { written }) })}\n`);
      return;
    }
    const lines = [formatTable([metricsRow("retrain", plan, task, metrics)])];
    if (written !== undefined) lines.push(`wrote ${Object.values(written).join(", ")}`);
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    reporter.stop();
    interrupt.dispose();
  }
}
