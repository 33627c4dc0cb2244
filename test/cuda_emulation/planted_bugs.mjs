// Bugs the emulated build must catch (issue 11's proof that the harness has teeth). The launch
// rewriter plants one of them in its copy of cuda/ when CMake passes --plant=NAME
// (-DMIXDIM_EMULATION_PLANTED_BUG=NAME); cuda/ itself never changes. check_planted_bugs.sh builds
// each in turn and runs the test that must then fail.
export const plantedBugs = {
  // The id check admits id == num_rows, so the lookup reads one past the end of the locations table.
  "lookup-bound": {
    file: "lookup_kernels.cu",
    find: "if (id < 0 || id >= num_rows) atomicMin",
    plant: "if (id < 0 || id > num_rows) atomicMin",
    test: ["test/cuda_store.test.ts", "rejects host tensors, out-of-range device ids"],
  },
  // The block reduction of the gradient norm reads partial sums before the other threads wrote them.
  "missing-syncthreads": {
    file: "dense_optimizer.cu",
    find: "    if (threadIdx.x < stride) sums[threadIdx.x] += sums[threadIdx.x + stride];\n    __syncthreads();",
    plant: "    if (threadIdx.x < stride) sums[threadIdx.x] += sums[threadIdx.x + stride];\n",
    test: ["test/ops/dense_optimizer.test.ts", "dense optimizers on CUDA"],
  },
  // The loss's block reduction keeps one partial sum per thread in an array one element short.
  "short-shared-array": {
    file: "loss.cu",
    find: "__shared__ double sums[kThreads];",
    plant: "__shared__ double sums[kThreads - 1];",
    test: ["test/ops/loss.test.ts", "losses on CUDA"],
  },
};

/** `text` (the source of cuda/`file`) with the named bug planted, if it belongs to this file. */
export function plantBug(name, file, text) {
  const bug = plantedBugs[name];
  if (bug === undefined) throw new Error(`no planted bug "${name}"; the bugs are ${Object.keys(plantedBugs).join(", ")}`);
  if (bug.file !== file) return text;
  // The pattern must still be there, or the planted bug would silently plant nothing.
  if (!text.includes(bug.find)) throw new Error(`planted bug "${name}": cuda/${file} no longer contains ${JSON.stringify(bug.find)}`);
  return text.replace(bug.find, bug.plant);
}
