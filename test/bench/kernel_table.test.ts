/**
 * The kernel table of `npm run bench:kernels` (ts/bench/kernel_table.ts) at tiny sizes: its figures
 * are meaningless here, but every row must have them, and the table must cover every kernel. The
 * list of kernels is derived from the code (the exports of ts/ops/*.ts, the native store's methods,
 * the native addon's functions), so a new op without a row, or without a reason in the catalogue's
 * `untimed` list, fails this test.
 *
 * Each ts/ops module is wrapped (vi.doMock, before the benchmark loads) to record the calls of its
 * exports, and each native function likewise, so a row is checked to call the op it names.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { beforeAll, describe, expect, it, vi } from "vitest";

import type { KernelTableProfile } from "../../ts/bench/bench_profile.js";
import type { KernelGroupBuilder } from "../../ts/bench/kernel_case.js";
import type { UntimedKernels } from "../../ts/bench/kernel_catalogue.js";
import type { KernelTableDevice } from "../../ts/bench/kernel_table_figures.js";
import { native } from "../../ts/native.js";

const opsDirectory = fileURLToPath(new URL("../../ts/ops/", import.meta.url));
const opModules = readdirSync(opsDirectory).filter((file) => file.endsWith(".ts")).map((file) => file.slice(0, -3));

// What the current call of a case reached: "module.name" of ts/ops exports, "EmbeddingStore.name", native names.
const opsCalled = new Set<string>();
const nativeCalled = new Set<string>();

const isClass = (value: unknown) =>
  typeof value === "function" && /^class[\s{]/.test(Function.prototype.toString.call(value));

for (const module of opModules) {
  vi.doMock(`../../ts/ops/${module}.js`, async (importOriginal) => {
    const actual = await importOriginal<Record<string, unknown>>();
    return Object.fromEntries(Object.entries(actual).map(([name, value]) => {
      if (typeof value !== "function" || isClass(value)) return [name, value];
      const op = value as (...args: unknown[]) => unknown;
      return [name, (...args: unknown[]) => {
        opsCalled.add(`${module}.${name}`);
        return op(...args);
      }];
    }));
  });
}

// Functions of the addon, not its classes (DeviceBuffer, EmbeddingStore: their methods are read-only).
const addon = native as unknown as Record<string, unknown>;
const isNativeClass = (name: string) =>
  Object.getOwnPropertyNames((addon[name] as { prototype?: object }).prototype ?? {}).length > 1;
const nativeFunctions = Object.keys(addon).filter((name) => typeof addon[name] === "function" && !isNativeClass(name));
for (const name of nativeFunctions) {
  const kernel = addon[name] as (...args: unknown[]) => unknown;
  addon[name] = (...args: unknown[]) => {
    nativeCalled.add(name);
    return kernel(...args);
  };
}
const storeMethods = Object.getOwnPropertyNames(native.EmbeddingStore.prototype).filter((name) => {
  const descriptor = Object.getOwnPropertyDescriptor(native.EmbeddingStore.prototype, name)!;
  return name !== "constructor" && typeof descriptor.value === "function";
});

const tiny: KernelTableProfile = {
  timing: { warmupRuns: 1, minRuns: 2, minSeconds: 0, maxRuns: 2 },
  batch: 32,
  copyBytes: 1 << 20,
  sgemmPeakSize: 64,
  store: { rows: 4096, candidates: [2, 4, 8, 16, 64, 128], batch: 256, batches: 2, zipfExponent: 1.05, seed: 3 },
  resizedRows: 16,
  gumbel: { batch: 16, fields: 3 },
  propagation: { numUsers: 300, numItems: 200, interactions: 3000 },
};

interface CaseCalls {
  op: string;
  label: string;
  ops: Set<string>;
  natives: Set<string>;
}

let kernelFamilies: readonly KernelGroupBuilder[];
let untimed: UntimedKernels;
let table: KernelTableDevice;
const calls: CaseCalls[] = [];
// The function exports of each ts/ops module.
const moduleExports: Record<string, string[]> = {};

beforeAll(async () => {
  for (const module of opModules) {
    const loaded = await import(path.join(opsDirectory, `${module}.ts`)) as Record<string, unknown>;
    moduleExports[module] = Object.keys(loaded).filter((name) => typeof loaded[name] === "function");
  }
  // The native store's methods are read-only: record the TypeScript store's methods of the same names.
  const { EmbeddingStore } = await import("../../ts/embedding_store.js");
  const storePrototype = EmbeddingStore.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of storeMethods) {
    const original = storePrototype[method];
    if (typeof original !== "function") continue;
    vi.spyOn(storePrototype, method).mockImplementation(function (this: unknown, ...args: unknown[]) {
      opsCalled.add(`EmbeddingStore.${method}`);
      return original.apply(this, args);
    });
  }
  ({ kernelFamilies, untimed } = await import("../../ts/bench/kernel_catalogue.js"));
  const { benchKernelTable } = await import("../../ts/bench/kernel_table.js");

  // Each case once, on its own, recording what its call reaches.
  for (const buildFamily of kernelFamilies) {
    const family = buildFamily("cpu", tiny);
    try {
      for (const kernel of family.cases) {
        opsCalled.clear();
        nativeCalled.clear();
        const result = kernel.run(0);
        calls.push({ op: kernel.op, label: kernel.label, ops: new Set(opsCalled), natives: new Set(nativeCalled) });
        kernel.release?.(result);
      }
    } finally {
      family.dispose();
    }
  }
  table = benchKernelTable("cpu", tiny, () => {});
}, 120_000);

const finitePositive = (value: number | undefined) => value !== undefined && Number.isFinite(value) && value > 0;

describe("the kernel table", () => {
  it("gives every row a finite positive time, figure, ratio to its limit and thread scaling, at 1 and 2 threads", () => {
    expect(table.rows.length).toBe(calls.length);
    expect(table.limits.map((limits) => limits.threads)).toEqual([1, 2]);
    const sgemmMeasured = table.limits.every((limits) => limits.sgemm?.available === true);
    for (const row of table.rows) {
      const where = `${row.op}: ${row.label}`;
      expect(row.measurements.map((m) => m.threads), where).toEqual([1, 2]);
      expect(finitePositive(row.effectiveBytes), where).toBe(true);
      for (const m of row.measurements) {
        expect(finitePositive(m.medianMs) && finitePositive(m.gbPerSecond), where).toBe(true);
        if (row.bound === "compute") {
          expect(finitePositive(row.flops) && finitePositive(m.gflopPerSecond), where).toBe(true);
        }
        // A compute-bound row has no limit where OpenBLAS is missing; a bandwidth-bound one always has the copy.
        if (row.bound === "bandwidth" || sgemmMeasured) expect(finitePositive(m.ratio), where).toBe(true);
      }
      expect(finitePositive(row.threadScaling), where).toBe(true);
    }
  });

  it("pairs the chain's precomposed and step-by-step paths for rows at every size class and spread rows", () => {
    expect(table.chain.map((pair) => pair.rows)).toEqual(
      ["all at 2", "all at 4", "all at 8", "all at 16", "all at 64", "sizes spread evenly"]);
    for (const pair of table.chain) {
      expect(pair.byThreads.every((t) => finitePositive(t.speedup)), pair.rows).toBe(true);
    }
  });

  it("has a row for every export of ts/ops, or the reason it has none", () => {
    const missing: string[] = [];
    for (const module of opModules) {
      if (untimed.ops[module] !== undefined) continue;
      for (const name of moduleExports[module]!) {
        const qualified = `${module}.${name}`;
        if (untimed.ops[qualified] !== undefined) continue;
        if (!calls.some((c) => c.op === name && c.ops.has(qualified))) missing.push(qualified);
      }
    }
    expect(missing).toEqual([]);
  });

  it("has a row for every method of the native store, or the reason it has none", () => {
    const missing = storeMethods.filter((method) => untimed.store[method] === undefined &&
      !calls.some((c) => c.op === `EmbeddingStore.${method}` && c.ops.has(c.op)));
    expect(missing).toEqual([]);
  });

  it("reaches every native function from some row, or says why not", () => {
    const reached = new Set(calls.flatMap((c) => [...c.natives]));
    expect(nativeFunctions.filter((name) => !reached.has(name) && untimed.native[name] === undefined)).toEqual([]);
  });

  it("calls, in each row, the op the row names", () => {
    const wrong = calls.filter((c) => ![...c.ops].some((called) => called === c.op || called.endsWith(`.${c.op}`)));
    expect(wrong.map((c) => `${c.op}: ${c.label} called ${[...c.ops].join(", ")}`)).toEqual([]);
  });

  it("lists as untimed only what exists", () => {
    const stale = [
      ...Object.keys(untimed.ops).filter((name) => {
        const [module, exported] = name.split(".");
        return !opModules.includes(module!) || (exported !== undefined && !moduleExports[module!]!.includes(exported));
      }),
      ...Object.keys(untimed.store).filter((name) => !storeMethods.includes(name)),
      ...Object.keys(untimed.native).filter((name) => !nativeFunctions.includes(name)),
    ];
    expect(stale).toEqual([]);
  });
});
