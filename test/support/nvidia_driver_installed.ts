/**
 * Whether this machine has an NVIDIA driver for the addon to find: its user-space library,
 * libcuda.so.1, in the dynamic loader's cache. Tests that expect "no NVIDIA driver found" need none.
 */
import { spawnSync } from "node:child_process";

export function nvidiaDriverInstalled(): boolean {
  const ldconfig = spawnSync("sh", ["-c", "ldconfig -p || /sbin/ldconfig -p"], { encoding: "utf8" });
  return /\blibcuda\.so\.1\b/.test(ldconfig.stdout);
}
