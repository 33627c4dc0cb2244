/**
 * The README's examples run as a user runs them: `node examples/...` importing "mixdim" by
 * name from the built package (dist/, compiled by `npm ci`).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

it("quickstart learns the hidden vectors with a table under 10% of the fixed size", () => {
  const output = execFileSync("node", ["examples/quickstart.mjs"], { cwd: repo, encoding: "utf8" });
  const losses = [...output.matchAll(/loss (\d+\.\d+)/g)].map((match) => Number(match[1]));
  expect(losses.length).toBeGreaterThan(2);
  expect(losses.at(-1)!).toBeLessThan(0.1 * losses[0]!);
  const percent = Number(/(\d+\.\d)% of a fixed 128-wide table/.exec(output)![1]);
  expect(percent).toBeLessThan(10);
}, 120_000);

it("own_model trains a user-defined model on mixed-size embeddings to a test AUC well above chance", () => {
  const output = execFileSync("node", ["examples/own_model.mjs"], { cwd: repo, encoding: "utf8" });
  const aucs = [...output.matchAll(/test AUC (\d+\.\d+)/g)].map((match) => Number(match[1]));
  expect(aucs.length).toBe(3);
  expect(aucs.at(-1)!).toBeGreaterThan(0.75);
  expect(Number(/\((\d+\.\d)% of every id at 32\)/.exec(output)![1])).toBeLessThan(50);
}, 120_000);
