/**
 * npm run bench:planted: the planted-signal experiment of issue #14 (planted_experiment.ts) at its
 * default size, 3 seeds, every reward learned, frozen and with the planted rule. Writes bench/results/planted.json and
 * PLANTED.md, with the hand-written findings of bench/results/planted.findings.md at the end.
 * A couple of minutes on 2 cores.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { describeMachine } from "../machine.js";
import { resultsDirectory } from "../results_files.js";
import { runPlantedExperiment } from "./planted_experiment.js";
import { plantedMarkdown } from "./planted_markdown.js";

const started = performance.now();
const experiment = runPlantedExperiment();
const meta = { date: new Date().toISOString(), machine: describeMachine(), seconds: (performance.now() - started) / 1000 };
writeFileSync(path.join(resultsDirectory, "planted.json"), JSON.stringify({ ...meta, ...experiment }, null, 1) + "\n");
const findingsFile = path.join(resultsDirectory, "planted.findings.md");
const findings = existsSync(findingsFile) ? `\n## Findings (written by hand after reading the results above)\n\n${readFileSync(findingsFile, "utf8")}` : "";
writeFileSync(path.join(resultsDirectory, "PLANTED.md"), plantedMarkdown(experiment, meta) + findings);
console.log(`bench/results/PLANTED.md written (${meta.seconds.toFixed(0)} s)`);
