/**
 * What the figures were measured on, so that results from different machines are not compared
 * by mistake.
 */
import os from "node:os";

import { backend, type Device } from "../index.js";

export function describeMachine(): Record<string, unknown> {
  return {
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    cpuCores: os.cpus().length,
    totalMemoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    // Other processes share the cores: figures taken under load scatter, and are lower.
    loadAverage1m5m15m: os.loadavg().map((load) => Number(load.toFixed(2))),
    backend: backend(),
  };
}

/** One sentence for the results' Markdown: when, on what, and how loaded. */
export function describeRun(date: string, machine: Record<string, unknown>): string {
  return `Run ${date} on ${String(machine.cpuModel)} (${String(machine.cpuCores)} cores, ` +
    `${((machine.totalMemoryBytes as number) / 2 ** 30).toFixed(1)} GiB), Node ${String(machine.node)}, ` +
    `${String(machine.os)}, load average ${JSON.stringify(machine.loadAverage1m5m15m ?? "not recorded")} ` +
    "(1, 5, 15 min) at the start.";
}

/** The CPU model or the first GPU's name. */
export function deviceName(device: Device): string {
  return device === "cpu" ? os.cpus()[0]?.model ?? "unknown CPU" : backend().cudaDevices[0]?.name ?? "unknown GPU";
}

/** The host in one line: CPU model, cores, Node (a kept GPU section may come from another machine). */
export function hostDescription(): string {
  return `${os.cpus()[0]?.model ?? "unknown CPU"} × ${os.cpus().length}, Node ${process.version}`;
}
