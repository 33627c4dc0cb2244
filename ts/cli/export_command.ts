/**
 * mixdim export --checkpoint DIR --out DIR [--json]
 *
 * Writes a trained model for use outside mixdim: <out>/plan.json (the plan, plan_export.ts) and
 * <out>/weights.safetensors (each table's rows at their own sizes with offsets, and the dense
 * weights; weights_export.ts). docs/export.md loads them into PyTorch.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";

import { Command } from "commander";

import { writePlan } from "../export/plan_export.js";
import { moduleShapes, writeExportedWeights } from "../export/weights_export.js";
import { UsageError } from "./cli_errors.js";
import { readSavedModel } from "./model_checkpoint.js";
import { ratingModel } from "./plan_training.js";
import { formatBytes } from "./progress_reporter.js";
import { jsonText } from "./run_outputs.js";
import { formatTable } from "./summary_table.js";

interface ExportFlags {
  checkpoint?: string;
  out?: string;
  json?: boolean;
}

export function registerExport(program: Command): void {
  program.command("export").description("write a trained model's plan (JSON) and weights (safetensors)")
    .option("--checkpoint <dir>", "a model saved by search --out or retrain --out (the out dir or its model/)")
    .option("--out <dir>", "where plan.json and weights.safetensors go")
    .option("--json", "print what was written as JSON")
    .action((flags: ExportFlags) => exportAction(flags));
}

async function exportAction(flags: ExportFlags): Promise<void> {
  if (flags.checkpoint === undefined || flags.out === undefined) throw new UsageError("export needs --checkpoint <dir> and --out <dir>");
  const saved = await readSavedModel(flags.checkpoint);
  // The CLI's models are ESAPN's MLP recommender: rebuild one to give the dense weights their shapes.
  const shapes = saved.task === "binary" || saved.task === "multiclass" ? moduleShapes(ratingModel(saved.plan, saved.task, 0).model) : {};
  await mkdir(flags.out, { recursive: true });
  const planPath = path.join(flags.out, "plan.json");
  const weightsPath = path.join(flags.out, "weights.safetensors");
  await writePlan(planPath, saved.plan);
  const tables = await writeExportedWeights(weightsPath, saved.contents.weights, shapes);
  if (flags.json) {
    process.stdout.write(`${jsonText({ plan: planPath, weights: weightsPath, tables })}\n`);
    return;
  }
  process.stdout.write(`${formatTable(tables.map((t) => ({ table: t.name, ids: t.ids, bytes: formatBytes(t.bytes), from: t.source })))}\n` +
                       `wrote ${planPath}, ${weightsPath}\n`);
}
