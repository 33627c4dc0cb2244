/**
 * One row of the kernel table: a call of one op on inputs placed on the device beforehand, what it
 * must move (effective bytes) or compute (FLOPs) per call, and so which limit it is read against.
 *
 * A case is built by its family (ts/bench/kernel_cases/), which owns the inputs and frees them in
 * `dispose`; the table (kernel_table.ts) times `run` at each thread count. Effective bytes count
 * every tensor the op must read once and every tensor it writes once, 4 bytes a value; what a
 * kernel re-reads (two-pass statistics, packing) is its own cost and shows as a lower figure.
 */
import type { Device } from "../backend.js";
import { Tensor } from "../tensor.js";
import type { KernelTableProfile } from "./bench_profile.js";

/** "forward and backward": a loss, which returns its value and its gradient in one call. */
export type KernelPass = "forward" | "backward" | "forward and backward" | "update";

/** What bounds a kernel: memory traffic (read against the copy) or arithmetic (against sgemm). */
export type KernelBound = "bandwidth" | "compute";

export interface KernelRun<T = unknown> {
  /** One call; `i` counts the calls (warm-up included), for cases that cycle through inputs. */
  run(i: number): T;
  /** Receives each call's result outside the timed region: frees outputs, restores inputs. */
  release?(result: T): void;
}

export interface KernelCase<T = unknown> extends KernelRun<T> {
  /** The function timed: an export of ts/ops ("matmul") or a store method ("EmbeddingStore.step"). */
  op: string;
  /** What the row computes, e.g. "Linear 256→512, x·W + b". */
  label: string;
  /** The problem size, e.g. "500×512×256" or "[500, 512]". */
  shape: string;
  pass: KernelPass;
  bound: KernelBound;
  effectiveBytes: number;
  /** Floating-point operations per call; present on compute-bound cases (2·m·n·k for a product). */
  flops?: number;
  /** The two paths of the projection chain, compared row by row. */
  chainPath?: { rows: string; path: "precomposed" | "step-by-step" };
}

/** The cases of one op family over inputs they share. */
export interface KernelGroup {
  family: string;
  cases: KernelCase[];
  /** Frees the inputs (device memory, stores, graphs). */
  dispose(): void;
}

export type KernelGroupBuilder = (device: Device, profile: KernelTableProfile) => KernelGroup;

/** Ties a case's `release` to the type its `run` returns, then forgets the type for the table's list. */
export function kernelCase<T>(spec: KernelCase<T>): KernelCase {
  return spec as KernelCase;
}

/** 4 bytes for each value counted. */
export function floatBytes(...counts: number[]): number {
  return 4 * counts.reduce((total, count) => total + count, 0);
}

/** Frees every tensor in an op's result: a tensor, an array of them, or an object holding them. */
export function disposeOutputs(result: unknown): void {
  if (result instanceof Tensor) {
    result.dispose();
  } else if (Array.isArray(result)) {
    for (const item of result) disposeOutputs(item);
  } else if (typeof result === "object" && result !== null) {
    for (const value of Object.values(result)) if (value instanceof Tensor) value.dispose();
  }
}

/** "[500, 512]" */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
