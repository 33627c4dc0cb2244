#!/usr/bin/env node
// The compile-time resource check: no CUDA launch of mixdim's can fail for lack of registers or
// shared memory on any architecture the build carries SASS for (sm_75 … sm_90).
//
//   node scripts/check-cuda-resources.mjs CUDA_BUILD_LOG LAUNCH_LOG
//
// CUDA_BUILD_LOG: the output of a CUDA build with -DMIXDIM_CUDA_RESOURCE_USAGE=ON, where ptxas
// reports each kernel's registers per thread and static shared memory for each architecture.
// LAUNCH_LOG: "kernel threads-per-block" lines, every block size the CUDA tests launched each kernel
// with, written by the emulated build (MIXDIM_EMULATED_LAUNCH_LOG).
//
// A block of B threads with R registers each needs ceil(B/32) warps of ceil(32·R / 256)·256
// registers (registers are allocated per warp in units of 256), which must fit the 65,536 of one
// SM, and its static shared memory must fit the 48 KiB a block gets without opting in. Prints one
// line per problem and a verdict under the word "resource"; exits 1 on any problem.
import { execFileSync } from "node:child_process";
import fs from "node:fs";

const kRegistersPerSm = 65536;
const kRegisterUnit = 256;
const kStaticSharedBytes = 48 * 1024;
const kMaxThreadsPerBlock = 1024;

/** Per (mangled kernel, architecture): registers and static shared memory, from ptxas's report. */
export function parseResourceUsage(log) {
  const usage = [];
  let current;
  for (const line of log.split("\n")) {
    const entry = /Compiling entry function '([^']+)' for '(sm_\d+)'/.exec(line);
    if (entry) {
      current = { mangled: entry[1], arch: entry[2], registers: 0, sharedBytes: 0 };
      usage.push(current);
      continue;
    }
    const used = /Used (\d+) registers.*?(?:(\d+) bytes smem)?(?:,|$)/.exec(line);
    if (used && current) {
      current.registers = Number(used[1]);
      const smem = /(\d+) bytes smem/.exec(line);
      current.sharedBytes = smem ? Number(smem[1]) : 0;
      current = undefined;
    }
  }
  return usage;
}

/** The kernel's own name in a demangled signature: "void a::(anonymous namespace)::k<4>(int)" -> "k". */
export function baseName(demangled) {
  let depth = 0;
  let end = demangled.length;
  // The parameter list is the last top-level "(...)"; the name ends before it or before its template arguments.
  for (let i = demangled.length - 1; i >= 0; --i) {
    const c = demangled[i];
    if (c === ")" || c === ">") ++depth;
    else if (c === "(" || c === "<") {
      --depth;
      if (depth === 0 && c === "(") {
        end = i;
        break;
      }
    }
  }
  let head = demangled.slice(0, end);
  if (head.endsWith(">")) {
    let d = 0;
    for (let i = head.length - 1; i >= 0; --i) {
      if (head[i] === ">") ++d;
      else if (head[i] === "<" && --d === 0) {
        head = head.slice(0, i);
        break;
      }
    }
  }
  return /(\w+)$/.exec(head)?.[1] ?? demangled;
}

/** Registers a block of `threads` threads needs. */
export function blockRegisters(registers, threads) {
  const perWarp = Math.ceil((registers * 32) / kRegisterUnit) * kRegisterUnit;
  return Math.ceil(threads / 32) * perWarp;
}

function main([buildLog, launchLog]) {
  if (buildLog === undefined || launchLog === undefined) {
    console.error("usage: check-cuda-resources.mjs CUDA_BUILD_LOG LAUNCH_LOG");
    process.exit(2);
  }
  const usage = parseResourceUsage(fs.readFileSync(buildLog, "utf8"));
  const launched = new Map(); // kernel name -> largest block launched
  for (const line of fs.readFileSync(launchLog, "utf8").split("\n")) {
    const [name, threads] = line.trim().split(/\s+/);
    if (name && threads) launched.set(name, Math.max(launched.get(name) ?? 0, Number(threads)));
  }
  const demangled = usage.length === 0 ? [] : execFileSync("c++filt", { input: usage.map((u) => u.mangled).join("\n") }).toString().split("\n");
  const problems = [];
  const kernels = new Set();
  const archs = new Set();
  for (const [i, u] of usage.entries()) {
    // CUB's own kernels: CUB picks their block sizes per architecture and compiles each with
    // __launch_bounds__ of that size, so ptxas already kept them within it.
    if (/^void cub::/.test(demangled[i] ?? "")) continue;
    const name = baseName(demangled[i] ?? u.mangled);
    kernels.add(name);
    archs.add(u.arch);
    const threads = launched.get(name);
    if (threads === undefined) {
      problems.push(`${name} (${u.arch}): no CUDA test launches it, so its block size is unchecked`);
      continue;
    }
    const needed = blockRegisters(u.registers, threads);
    if (threads > kMaxThreadsPerBlock || needed > kRegistersPerSm) {
      problems.push(`${name} (${u.arch}): ${threads} threads × ${u.registers} registers need ${needed} registers, more than an SM's ${kRegistersPerSm}`);
    }
    if (u.sharedBytes > kStaticSharedBytes) {
      problems.push(`${name} (${u.arch}): ${u.sharedBytes} bytes of static shared memory exceed a block's ${kStaticSharedBytes}`);
    }
  }
  for (const p of problems) console.log(`resource check: ${p}`);
  const where = [...archs].sort().join(", ");
  if (usage.length === 0) {
    console.log(`resource check: FAILED: ${buildLog} holds no ptxas resource report (was the build made with -DMIXDIM_CUDA_RESOURCE_USAGE=ON?)`);
    process.exit(1);
  }
  if (problems.length > 0) {
    console.log(`resource check: FAILED: ${problems.length} problems over ${kernels.size} kernels on ${where}`);
    process.exit(1);
  }
  console.log(`resource check: passed: ${kernels.size} kernels on ${where} fit the largest blocks the tests launch them with, in registers and shared memory (CUB's own kernels left to CUB)`);
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === new URL(import.meta.url).pathname) main(process.argv.slice(2));
