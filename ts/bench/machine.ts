/**
 * What the figures were measured on, so that results from different machines are not compared
 * by mistake.
 */
import os from "node:os";

import { backend } from "../index.js";

export function describeMachine(): Record<string, unknown> {
  return {
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    cpuCores: os.cpus().length,
    totalMemoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    backend: backend(),
  };
}
