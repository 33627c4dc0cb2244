#!/usr/bin/env node
// The emulated build's launch rewriter: writes a copy of each CUDA source that g++ can compile
// against test/cuda_emulation/include, leaving cuda/ exactly what nvcc compiles.
//
//   node test/cuda_emulation/rewrite_launches.mjs [--plant=BUG] OUT_DIR cuda/a.cu cuda/b.cuh ...
//
// writes OUT_DIR/a.cu.cc (a source file for g++) and OUT_DIR/b.cuh. Every line stays on its line,
// and a #line directive names the original file, so compiler errors, sanitizer reports and
// __FILE__/__LINE__ (which the barrier and shuffle reports print) point into cuda/. Three rewrites:
//   kernel<<<grid, block, shared, stream>>>(args)  ->  ::mixdim_emu::Launch("kernel (file:line)", grid, block, shared, stream).run([&](auto... a) { kernel(a...); }, args)
//   __global__ ... __launch_bounds__(N) name(...) {  ->  __global__ ... name(...) { ::mixdim_emu::kernel_entry(N, &name<its template parameters>, "name");
//   __shared__ T name[A][B];                          ->  T (&name)[A][B] = ::mixdim_emu::shared<T[A][B]>("file:line");
//   extern __shared__ T name[];                       ->  T* name = static_cast<T*>(::mixdim_emu::dynamic_shared());
// A rewriter rather than a launch macro in cuda/: the sources stay plain CUDA that any CUDA
// programmer (and nvcc) reads as usual, and the emulation cannot change what the GPU build runs.
// Plain JavaScript, not TypeScript, because CMake runs it before anything is compiled.
import fs from "node:fs";
import path from "node:path";
import { plantBug } from "./planted_bugs.mjs";

/** The text with comments, string and character literals and preprocessor lines blanked (newlines kept). */
export function codeOnly(text) {
  const out = text.split("");
  const blank = (from, to) => {
    for (let i = from; i < to; ++i) if (out[i] !== "\n") out[i] = " ";
  };
  let i = 0;
  let lineStart = true;
  while (i < text.length) {
    const c = text[i];
    if (lineStart && /[ \t]/.test(c)) {
      ++i;
      continue;
    }
    if (lineStart && c === "#") {
      // A directive runs to the end of its line, and on across backslash-newlines.
      let j = i;
      while (j < text.length && !(text[j] === "\n" && text[j - 1] !== "\\")) ++j;
      blank(i, j);
      i = j;
      continue;
    }
    lineStart = c === "\n";
    if (c === "/" && text[i + 1] === "/") {
      let j = i;
      while (j < text.length && text[j] !== "\n") ++j;
      blank(i, j);
      i = j;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const j = end < 0 ? text.length : end + 2;
      blank(i, j);
      i = j;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else {
      ++i;
    }
  }
  return out.join("");
}

const newlines = (s) => (s.match(/\n/g) ?? []).length;
const oneLine = (s) => s.replace(/\s+/g, " ").trim();

/** The index just past the bracket that closes the one at `open` (in blanked code). */
function closing(code, open) {
  const pairs = { "(": ")", "[": "]", "{": "}", "<": ">" };
  const stack = [pairs[code[open]]];
  for (let i = open + 1; i < code.length; ++i) {
    const c = code[i];
    if (c === "(" || c === "[" || c === "{") stack.push(pairs[c]);
    else if (c === ")" || c === "]" || c === "}") {
      if (stack.pop() !== c) throw new Error(`unbalanced ${c} at offset ${i}`);
      if (stack.length === 0) return i + 1;
    }
  }
  throw new Error(`no closing bracket for offset ${open}`);
}

/** Where the kernel expression before `<<<` at `at` starts: a name, maybe qualified, maybe with template arguments. */
function kernelStart(code, at) {
  let i = at;
  while (/\s/.test(code[i - 1])) --i;
  if (code[i - 1] === ">") {
    let depth = 0;
    do {
      --i;
      if (code[i] === ">") ++depth;
      else if (code[i] === "<") --depth;
    } while (depth > 0 && i > 0);
    while (/\s/.test(code[i - 1])) --i;
  }
  while (i > 0 && /[\w:]/.test(code[i - 1])) --i;
  return i;
}

/** The top-level comma-separated parts of `s`. */
function splitTopLevel(s) {
  const parts = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; ++i) {
    if ("([{".includes(s[i])) ++depth;
    else if (")]}".includes(s[i])) --depth;
    else if (s[i] === "," && depth === 0) {
      parts.push(s.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(s.slice(from));
  return parts;
}

/** "<A, B>" naming the template parameters of a `template <...>` just before `at`, or "" if there is none. */
function templateArguments(code, at) {
  const before = code.slice(0, at).trimEnd();
  if (!before.endsWith(">")) return "";
  const open = before.lastIndexOf("template");
  if (open < 0) return "";
  const list = before.slice(before.indexOf("<", open) + 1, -1);
  const names = splitTopLevel(list).map((p) => /(\w+)\s*$/.exec(p.split("=")[0].trim())?.[1]);
  return `<${names.join(", ")}>`;
}

/** Rewrites one CUDA source; `file` names it in the sites of __shared__ arrays. */
export function rewrite(text, file) {
  const code = codeOnly(text);
  const edits = []; // [start, end, replacement], non-overlapping
  const lineOf = (index) => newlines(text.slice(0, index)) + 1;

  for (const match of code.matchAll(/<<</g)) {
    const start = kernelStart(code, match.index);
    const kernel = text.slice(start, match.index);
    const configEnd = code.indexOf(">>>", match.index + 3);
    if (configEnd < 0) throw new Error(`${file}:${lineOf(match.index)}: <<< without >>>`);
    const config = text.slice(match.index + 3, configEnd);
    let open = configEnd + 3;
    while (/\s/.test(code[open])) ++open;
    if (code[open] !== "(") throw new Error(`${file}:${lineOf(match.index)}: a launch without arguments`);
    const close = closing(code, open);
    const noArguments = code.slice(open + 1, close - 1).trim() === "";
    const name = `${oneLine(kernel)} (${path.basename(file)}:${lineOf(match.index)})`;
    // A generic lambda, so that a kernel template's arguments are deduced from the launch's as nvcc does.
    const call = `[&](auto... a) { ${oneLine(kernel)}(a...); }`;
    let replacement = `::mixdim_emu::Launch("${name}", ${config}).run(${call}${noArguments ? "" : ", "}`;
    replacement += "\n".repeat(Math.max(0, newlines(text.slice(start, open + 1)) - newlines(replacement)));
    edits.push([start, open + 1, replacement]);
  }

  for (const match of code.matchAll(/\b__global__\b/g)) {
    let i = match.index + "__global__".length;
    let bound = "0";
    let name;
    while (i < code.length && code[i] !== "{" && code[i] !== ";") {
      if (code.startsWith("__launch_bounds__", i) && /\W/.test(code[i + 17])) {
        const open = code.indexOf("(", i);
        const close = closing(code, open);
        bound = oneLine(splitTopLevel(text.slice(open + 1, close - 1))[0]);
        edits.push([i, close, "\n".repeat(newlines(text.slice(i, close)))]);
        i = close;
      } else if (code[i] === "(") {
        name ??= /(\w+)\s*$/.exec(code.slice(match.index, i))?.[1];
        i = closing(code, i);
      } else {
        ++i;
      }
    }
    if (code[i] === "{") {
      const self = `&${name}${templateArguments(code, match.index)}`;
      edits.push([i + 1, i + 1, ` ::mixdim_emu::kernel_entry(${bound}, reinterpret_cast<const void*>(${self}), "${name}");`]);
    }
  }

  for (const match of code.matchAll(/\b__shared__\b/g)) {
    const end = code.indexOf(";", match.index);
    const declaration = oneLine(text.slice(match.index + "__shared__".length, end));
    const externBefore = /\bextern\s+$/.exec(code.slice(0, match.index));
    const bracket = declaration.indexOf("[");
    const head = bracket < 0 ? declaration : declaration.slice(0, bracket).trim();
    const dims = bracket < 0 ? "" : declaration.slice(bracket);
    const name = /(\w+)$/.exec(head)?.[1];
    if (name === undefined) throw new Error(`${file}:${lineOf(match.index)}: cannot read the __shared__ declaration`);
    const type = head.slice(0, head.length - name.length).trim();
    const start = externBefore ? externBefore.index : match.index;
    const site = `${path.basename(file)}:${lineOf(match.index)}:${name}`;
    let replacement = externBefore
      ? `${type}* ${name} = static_cast<${type}*>(::mixdim_emu::dynamic_shared())`
      : dims === ""
        ? `${type}& ${name} = ::mixdim_emu::shared<${type}>("${site}")`
        : `${type} (&${name})${dims} = ::mixdim_emu::shared<${type}${dims}>("${site}")`;
    replacement += "\n".repeat(newlines(text.slice(start, end)));
    edits.push([start, end, replacement]);
  }

  edits.sort((a, b) => b[0] - a[0]);
  let out = text;
  for (const [start, end, replacement] of edits) out = out.slice(0, start) + replacement + out.slice(end);
  return out;
}

function main(argv) {
  // --plant=BUG plants one of planted_bugs.mjs in the copies (an empty name plants none).
  const plant = argv[0]?.startsWith("--plant=") ? argv.shift().slice("--plant=".length) : "";
  const [outDir, ...files] = argv;
  if (outDir === undefined || files.length === 0) {
    console.error("usage: rewrite_launches.mjs [--plant=BUG] OUT_DIR FILE.cu|FILE.cuh ...");
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const file of files) {
    const source = path.resolve(file);
    const original = fs.readFileSync(source, "utf8");
    const text = plant === "" ? original : plantBug(plant, path.basename(source), original);
    // nvcc includes cuda_runtime.h in every .cu file by itself; the copy says so.
    const prologue = `${source.endsWith(".cu") ? "#include <cuda_runtime.h>\n" : ""}#line 1 ${JSON.stringify(source)}\n`;
    const target = path.join(outDir, path.basename(source) + (source.endsWith(".cu") ? ".cc" : ""));
    const rewritten = prologue + rewrite(text, source);
    // Only a changed copy is written, so make rebuilds only what changed.
    if (!fs.existsSync(target) || fs.readFileSync(target, "utf8") !== rewritten) fs.writeFileSync(target, rewritten);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) main(process.argv.slice(2));
