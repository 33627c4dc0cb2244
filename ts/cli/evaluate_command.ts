/**
 * mixdim evaluate --checkpoint DIR | --plan FILE [--data FILE] [--task T] [--seed N] [--json]
 *
 * A checkpoint (a trained model): scores it on every rating of the data without training it
 * further (on its own data, which it has trained on, that measures fit; see evaluateModel). A plan: retrains it from scratch and scores it, as search() scores every plan.
 */
import path from "node:path";

import { Command } from "commander";

import { readPlan } from "../export/plan_export.js";
import { loadTraining } from "../training/training_checkpoint.js";
import { UsageError } from "./cli_errors.js";
import { dataSpec, loadData } from "./data_source.js";
import { interruptOnSigint } from "./interrupt.js";
import { readSavedModel } from "./model_checkpoint.js";
import { addDataOptions, addOutputOptions, parseSeed, type DataFlags, type OutputFlags } from "./option_parsers.js";
import { evaluateModel, ratingModel } from "./plan_training.js";
import { progressReporter } from "./progress_reporter.js";
import { checkPlanFitsData, metricsRow, retrainPlan } from "./retrain_command.js";
import { jsonMetrics, jsonText } from "./run_outputs.js";
import { formatTable, planSummary } from "./summary_table.js";

interface EvaluateFlags extends DataFlags, OutputFlags {
  checkpoint?: string;
  plan?: string;
  seed?: number;
}

export function registerEvaluate(program: Command): void {
  const command = program.command("evaluate").description("score a trained model (--checkpoint) or a plan (--plan)")
    .option("--checkpoint <dir>", "a model saved by search --out or retrain --out (the out dir or its model/)")
    .option("--plan <file>", "a plan to retrain and score");
  addDataOptions(command).option("--seed <n>", "seed (default: the model's, else 0)", parseSeed);
  addOutputOptions(command).action((flags: EvaluateFlags) => evaluateAction(flags));
}

async function evaluateAction(flags: EvaluateFlags): Promise<void> {
  if ((flags.checkpoint === undefined) === (flags.plan === undefined)) throw new UsageError("evaluate needs one of --checkpoint <dir> or --plan <file>");
  const reporter = progressReporter({ quiet: flags.quiet ?? false });
  const interrupt = interruptOnSigint();
  try {
    const given = flags.data === undefined && flags.limit === undefined ? undefined : dataSpec(flags.data, flags.limit);
    let label: string;
    let metrics: Record<string, number>;
    let plan;
    let task;
    let description: string;
    if (flags.checkpoint !== undefined) {
      const saved = await readSavedModel(flags.checkpoint);
      plan = saved.plan;
      task = flags.task ?? saved.task ?? "binary";
      if (task !== "binary" && task !== "multiclass") throw new UsageError(`evaluate --checkpoint scores rating models; task "${task}" has none saved`);
      const seed = flags.seed ?? saved.spec?.seed ?? 0;
      const loaded = await loadData(given ?? saved.spec?.data ?? dataSpec(undefined, undefined), interrupt.signal);
      description = loaded.description;
      checkPlanFitsData(plan, loaded.data, task, saved.dir);
      reporter.note(`evaluating ${saved.dir} (${planSummary(plan)}) on ${description}`);
      const { model, optimizer } = ratingModel(plan, task, seed);
      await loadTraining(saved.dir, { model, optimizer });
      metrics = evaluateModel(loaded.data, model, task);
      label = "checkpoint";
    } else {
      plan = await readPlan(path.resolve(flags.plan!));
      task = flags.task ?? "binary";
      const spec = { command: "retrain" as const, data: given ?? dataSpec(undefined, undefined), task, seed: flags.seed ?? 0, epochs: 1 };
      const loaded = await loadData(spec.data, interrupt.signal);
      description = loaded.description;
      checkPlanFitsData(plan, loaded.data, task, flags.plan!);
      reporter.note(`retraining ${flags.plan} (${planSummary(plan)}) on ${description}`);
      ({ metrics } = await retrainPlan(plan, loaded.data, spec, task, { signal: interrupt.signal, onProgress: (p) => reporter.update(p) }));
      label = "plan";
    }
    reporter.stop();
    if (flags.json) {
      process.stdout.write(`${jsonText({ task, data: description, metrics: jsonMetrics(metrics) })}\n`);
      return;
    }
    process.stdout.write(`${formatTable([metricsRow(label, plan, task, metrics)])}\n`);
  } finally {
    reporter.stop();
    interrupt.dispose();
  }
}
