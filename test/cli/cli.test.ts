/**
 * The `mixdim` command as a user runs it: `node dist/cli/main.js ...` (dist is what `npm ci`
 * builds; it is rebuilt here when missing or older than any source in ts/), not a TTY, so
 * progress is plain lines on stderr and the result is on stdout.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

import { loadCheckpoint } from "../../ts/checkpoint/checkpoint.js";
import { readSafetensors } from "../../ts/checkpoint/safetensors.js";
import { loadSearchSnapshot } from "../../ts/search/search_snapshot.js";
import { searchMethods } from "../../ts/search/search_methods.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const main = path.join(repo, "dist/cli/main.js");
const mlDir = path.resolve(repo, "../shared/data/ml-100k");

function newestSource(dir: string): number {
  return Math.max(...readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"))
    .map((f) => statSync(path.join(dir, f)).mtimeMs));
}

beforeAll(() => {
  // The CLI runs the search methods too: any source newer than dist rebuilds it.
  const sources = newestSource(path.join(repo, "ts"));
  if (!existsSync(main) || statSync(main).mtimeMs < sources) {
    spawnSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: repo, stdio: "ignore" });
  }
  expect(existsSync(main)).toBe(true);
}, 120_000);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function mixdim(args: string[], options: { cwd?: string } = {}): Run {
  const result = spawnSync(process.execPath, [main, ...args], { cwd: options.cwd ?? repo, encoding: "utf8", env: process.env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch = () => mkdtempSync(path.join(tmpdir(), "mixdim-cli-"));
const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe("mixdim on the synthetic default", () => {
  it("demo runs with no --data and ends with a small frontier: FIXED, MDE, DARTS and ESAPN at three budgets", () => {
    const run = mixdim(["demo"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^budget\s+bytes\s+FIXED\s+MDE\s+DARTS\s+ESAPN\s+beats FIXED$/m);
    for (const budget of ["1/32", "1/8", "1/2"]) expect(run.stdout).toMatch(new RegExp(`^${budget}\\s+[\\d.]+ KiB(\\s+0\\.\\d{4}){4}\\s`, "m"));
    expect(run.stderr).toContain("synthetic default");
  }, 120_000);

  it("search --json prints one JSON document whose plan is within a ratio budget", () => {
    const run = mixdim(["search", "--method", "fixed", "--budget", "0.5", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { bytes: number; budgetBytes: number; ratio: number; metrics: Record<string, number>;
                                               plan: { tables: Record<string, number[]> } };
    const bytes = Object.values(result.plan.tables).flat().reduce((a, b) => a + b, 0) * 4;
    expect(bytes).toBe(result.bytes);
    expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes);
    expect(result.ratio).toBeLessThanOrEqual(0.5);
    expect(result.metrics.testAccuracy).toBeGreaterThan(result.metrics.majorityAccuracy!);
  });

  it("search --budget-bytes holds the plan to that many bytes", () => {
    const run = mixdim(["search", "--method", "fixed", "--budget-bytes", "300000", "--task", "multiclass", "--json", "--quiet"]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { bytes: number; budgetBytes: number; task: string };
    expect(result.task).toBe("multiclass");
    expect(result.budgetBytes).toBe(300000);
    expect(result.bytes).toBeLessThanOrEqual(300000);
  });

  it("progress off a terminal is plain lines on stderr, and stdout holds the table", () => {
    const run = mixdim(["search", "--method", "fixed", "--budget", "0.1"]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/[\r\x1b]/);
    expect(run.stderr).toMatch(/^train 1\/\d+ \(0%\) \| loss \d/m);
    expect(run.stderr).toMatch(/^test (\d+)\/\1 \(100%\)/m);
    expect(run.stdout).not.toMatch(/[\r\x1b]/);
    expect(run.stdout).toMatch(/^plan: users \d+:\d+, items \d+:\d+$/m);
  });
});

describe("errors are one line and a non-zero exit code", () => {
  const oneLine = (run: Run, code: number, pattern: RegExp) => {
    expect(run.code).toBe(code);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(pattern);
    noStack(run.stderr);
  };

  it("an unknown flag exits 2 and suggests the right one", () => {
    oneLine(mixdim(["search", "--method", "fixed", "--budgit", "0.5"]), 2, /^mixdim: error: unknown option '--budgit' \(Did you mean --budget\?\)/);
  });

  it("a bad value exits 2 and names the flag", () => {
    oneLine(mixdim(["search", "--method", "fixed", "--budget", "1.5"]), 2, /'--budget <ratio>' argument '1.5' is invalid/);
    oneLine(mixdim(["search", "--method", "fixed", "--candidates", "8,4"]), 2, /strictly increasing/);
    oneLine(mixdim(["search", "--method", "sgd"]), 2, /Allowed choices are fixed, mde/);
    oneLine(mixdim(["search", "--budget", "0.5", "--budget-bytes", "10"]), 2, /cannot be used with/);
  });

  it("a missing file exits 1 and names it", () => {
    oneLine(mixdim(["search", "--method", "fixed", "--data", "no/such/u.data"]), 1, /no\/such\/u\.data/);
    oneLine(mixdim(["retrain", "--plan", "no/such/plan.json"]), 1, /cannot read the plan .*no such file/);
  });

  it("a budget no plan can meet exits 1 before training", () => {
    const run = mixdim(["search", "--method", "fixed", "--budget-bytes", "100", "--quiet"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^mixdim: error: budget of 100 bytes cannot be met/m);
    noStack(run.stderr);
  });

  const missing = (["mde", "darts", "autoemb", "autodim", "esapn", "scall"] as const).find((m) => searchMethods[m] === undefined);
  it.runIf(missing !== undefined)("a method this build lacks exits 1 with one line", () => {
    oneLine(mixdim(["search", "--method", missing!]), 1, /is not available in this build/);
  });

  it("a file that is not a plan exits 1", () => {
    const dir = scratch();
    const run = mixdim(["retrain", "--plan", path.join(repo, "package.json")], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is not a mixdim plan/);
    noStack(run.stderr);
  });
});

describe("outputs", () => {
  it("search --out, then export, writes plan.json and a safetensors file with each id's row at its own size", async () => {
    const dir = scratch();
    const out = path.join(dir, "run");
    const exported = path.join(dir, "export");
    expect(mixdim(["search", "--method", "fixed", "--budget", "0.2", "--out", out, "--quiet"]).code).toBe(0);
    const run = mixdim(["export", "--checkpoint", out, "--out", exported]);
    expect(run.code).toBe(0);
    const plan = JSON.parse(readFileSync(path.join(exported, "plan.json"), "utf8")) as { format: string; tables: Record<string, number[]> };
    expect(plan.format).toBe("mixdim-plan");
    const file = await readSafetensors(path.join(exported, "weights.safetensors"));
    const model = await loadCheckpoint(path.join(out, "model"));
    for (const table of ["users", "items"]) {
      const sizes = file.tensors[`${table}.sizes`]!;
      const offsets = file.tensors[`${table}.offsets`]!;
      const rows = file.tensors[`${table}.rows`]!;
      expect(sizes.dtype).toBe("I32");
      expect(offsets.dtype).toBe("I64");
      expect(Array.from(sizes.data as Int32Array)).toEqual(plan.tables[table]);
      const o = offsets.data as BigInt64Array;
      expect(o.length).toBe(sizes.data.length + 1);
      for (let i = 0; i < sizes.data.length; ++i) expect(Number(o[i + 1]! - o[i]!)).toBe((sizes.data as Int32Array)[i]);
      expect(Array.from(rows.data as Float32Array)).toEqual(Array.from(model.weights[`${table}.embedding.weight.rows`]!.data as Float32Array));
    }
    expect(file.tensors["hidden.weight"]!.shape).toHaveLength(2);
    expect(JSON.parse(file.metadata.tables!)).toHaveProperty("users");
  });

  it("retrain --plan retrains the plan search wrote, and evaluate scores its model", () => {
    const dir = scratch();
    expect(mixdim(["search", "--method", "fixed", "--budget", "0.2", "--out", dir, "--quiet"]).code).toBe(0);
    const searched = JSON.parse(readFileSync(path.join(dir, "result.json"), "utf8")) as { metrics: Record<string, number> };
    const retrained = mixdim(["retrain", "--plan", path.join(dir, "plan.json"), "--json", "--quiet"]);
    expect(retrained.code).toBe(0);
    const metrics = (JSON.parse(retrained.stdout) as { metrics: Record<string, number> }).metrics;
    expect(metrics.testAccuracy).toBe(searched.metrics.testAccuracy);
    const evaluated = mixdim(["evaluate", "--checkpoint", dir, "--json", "--quiet"]);
    expect(evaluated.code).toBe(0);
    expect((JSON.parse(evaluated.stdout) as { metrics: Record<string, number> }).metrics.accuracy).toBeGreaterThan(0.6);
  });
});

describe("Ctrl-C", () => {
  const args = ["search", "--method", "fixed", "--limit", "8000", "--epochs", "8", "--json"];

  it("writes a checkpoint and exits 130, and --resume finishes with the uninterrupted run's result", async () => {
    const dir = scratch();
    const checkpoint = path.join(dir, "checkpoint");
    const child = spawn(process.execPath, [main, ...args, "--checkpoint", checkpoint], { cwd: repo, env: process.env });
    let stderr = "";
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/^train /m.test(stderr) && !child.killed) child.kill("SIGINT");
      });
      child.on("exit", (status) => resolve(status));
    });
    expect(code).toBe(130);
    expect(stderr.trimEnd().split("\n").at(-1)).toMatch(/^mixdim: interrupted at train \d+\/8 \d+\/24; checkpoint written to .*; add --resume to continue$/);
    noStack(stderr);

    const changed = mixdim([...args.map((a) => a === "8" ? "9" : a), "--checkpoint", checkpoint, "--resume", "--quiet"]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/^mixdim: error: --resume: the checkpoint's epochs is 8, the command line's 9/);

    const resumed = mixdim([...args, "--checkpoint", checkpoint, "--resume", "--quiet"]);
    expect(resumed.code).toBe(0);
    const whole = mixdim([...args, "--quiet"]);
    const metrics = (run: Run) => {
      const { samplesPerSecond: _, ...rest } = (JSON.parse(run.stdout) as { metrics: Record<string, number> }).metrics;
      return rest;
    };
    expect(metrics(resumed)).toEqual(metrics(whole));
  }, 60_000);

  it("stops DARTS mid-search with its snapshot on disk, and --resume ends with the plan of a run never stopped", async () => {
    const darts = ["search", "--method", "darts", "--limit", "20000", "--set", "hidden=32", "--json"];
    const checkpoint = path.join(scratch(), "checkpoint");
    const child = spawn(process.execPath, [main, ...darts, "--checkpoint", checkpoint], { cwd: repo, env: process.env });
    let stderr = "";
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/^search /m.test(stderr) && !child.killed) child.kill("SIGINT");
      });
      child.on("exit", (status) => resolve(status));
    });
    expect(code, stderr).toBe(130);
    expect(stderr.trimEnd().split("\n").at(-1)).toMatch(/^mixdim: interrupted at search \d+\/\d+; checkpoint written to .*; add --resume to continue$/);
    noStack(stderr);
    const snapshot = await loadSearchSnapshot(checkpoint);
    expect(snapshot.method).toBe("darts");
    const stream = snapshot.state.stream as { passesDone: number; batchesDone: number };
    expect(stream.passesDone, "stopped in the search pass, not at its end").toBe(0);
    expect(stream.batchesDone).toBeGreaterThan(0);
    expect(Object.keys(snapshot.tensors).some((name) => name.startsWith("selector.users.alpha."))).toBe(true);

    const resumed = mixdim([...darts, "--checkpoint", checkpoint, "--resume", "--quiet"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const whole = mixdim([...darts, "--quiet"]);
    const outcome = (run: Run) => {
      const { plan, metrics: { samplesPerSecond: _, searchSamplesPerSecond: __, ...metrics } } =
        JSON.parse(run.stdout) as { plan: unknown; metrics: Record<string, number> };
      return { plan, metrics };
    };
    expect(outcome(resumed)).toEqual(outcome(whole));
  }, 120_000);

  it("--resume without a checkpoint is a usage error", () => {
    const dir = scratch();
    const run = mixdim(["search", "--resume", "--checkpoint", path.join(dir, "none")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/there is no checkpoint/);
  });
});

describe.runIf(existsSync(path.join(mlDir, "u.data")))("on ml-100k", () => {
  it("search --budget holds the plan within the budget on the first 20k ratings", () => {
    const run = mixdim(["search", "--method", "fixed", "--data", path.join(mlDir, "u.data"), "--limit", "20000",
                        "--budget", "0.3", "--json", "--quiet"]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { bytes: number; budgetBytes: number; data: string };
    expect(result.bytes).toBeLessThanOrEqual(result.budgetBytes);
    expect(result.data).toMatch(/20,000 ratings/);
  });
});
