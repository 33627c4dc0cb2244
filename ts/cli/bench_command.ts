/**
 * mixdim bench: the kernel benchmark (ts/bench/main.ts, `npm run bench`), run as its own process
 * so that its output and exit code pass through unchanged.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { Command } from "commander";

export function registerBench(program: Command): void {
  program.command("bench").description("benchmark the kernels on the CPU (and CUDA when present); writes bench/results/")
    .action(() => benchAction());
}

async function benchAction(): Promise<void> {
  const main = fileURLToPath(new URL("../bench/main.js", import.meta.url));
  if (!existsSync(main)) throw new Error(`the benchmark is not built (${main} is missing); run npm run build:ts`);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [main], { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (status, signal) => resolve(status ?? (signal === "SIGINT" ? 130 : 1)));
  });
  process.exitCode = code;
}
