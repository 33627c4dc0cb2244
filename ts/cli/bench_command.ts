/**
 * mixdim bench: the kernel benchmark (ts/bench/main.ts, `npm run bench:kernels`), run as its own
 * process so that its output and exit code pass through unchanged.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { Command } from "commander";

export function registerBench(program: Command): void {
  program.command("bench").description("benchmark the kernels on the CPU (and CUDA when present); writes bench/results/")
    .option("--quick", "small inputs and a few runs per kernel, well under a minute; results to a temporary directory")
    .option("--out <dir>", "where the results go")
    .action((options: { quick?: boolean; out?: string }) => benchAction(options));
}

async function benchAction(options: { quick?: boolean; out?: string }): Promise<void> {
  const main = fileURLToPath(new URL("../bench/main.js", import.meta.url));
  if (!existsSync(main)) throw new Error(`the benchmark is not built (${main} is missing); run npm run build:ts`);
  const flags = [...(options.quick === true ? ["--quick"] : []),
                 ...(options.out === undefined ? [] : ["--out", options.out])];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...flags], { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (status, signal) => resolve(status ?? (signal === "SIGINT" ? 130 : 1)));
  });
  process.exitCode = code;
}
