#!/usr/bin/env bash
# The GPU check kit: checks mixdim's CUDA code on a real NVIDIA GPU, in under 8 minutes, on a
# machine with nvcc and compute-sanitizer but perhaps no network and no node. Run from anywhere;
# results go under $OUT (default ./gpu-check-results):
#   build.log                      the CUDA addon's build (npm run build:cuda's CMake build, into build-gpu/)
#   cuda-tests.json, .log          every CUDA test on the GPU; a missing device fails, a skipped CUDA test fails
#   memcheck.log, racecheck.log    a short CUDA test under compute-sanitizer --tool memcheck / racecheck
#   bench/                         the kernel benchmark (bench/results/*.json, *.md), read against a
#                                  device-to-device cudaMemcpy as the bandwidth limit
#   summary.txt                    one line per step, ok or FAILED
#
# Preparing it, on a machine with node and network (after npm ci):
#   scripts/gpu-check.sh --pack    writes .gpu-kit/ (ignored by git): this node binary and the
#                                  node_modules and dist/ the check needs, xz-compressed (~40 MB)
# and bring the repository with .gpu-kit/ to the GPU machine; the check unpacks what is missing there.
set -uo pipefail
cd "$(dirname "$0")/.."
kit=.gpu-kit

if [ "${1:-}" = "--pack" ]; then
  set -e
  mkdir -p "$kit"
  npx tsc -p tsconfig.json
  xz -T0 -6 -c "$(command -v node)" >"$kit/node.xz"
  tar -cf - node_modules dist | xz -T0 -6 >"$kit/modules.tar.xz"
  du -sh "$kit"/*
  exit 0
fi

out=${OUT:-$PWD/gpu-check-results}
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"
status=0
step() {  # step NAME COMMAND...: runs a step, records ok or FAILED
  local name=$1; shift
  local started=$SECONDS
  if "$@"; then echo "ok      $name ($((SECONDS - started)) s)" | tee -a "$summary"
  else echo "FAILED  $name ($((SECONDS - started)) s)" | tee -a "$summary"; status=1; fi
}

# node, node_modules and dist/ from the kit where the machine lacks them.
if ! command -v node >/dev/null; then
  [ -f "$kit/node.xz" ] || { echo "no node here and no $kit/node.xz (run scripts/gpu-check.sh --pack where node is)"; exit 1; }
  mkdir -p "$kit/bin" && xz -dc "$kit/node.xz" >"$kit/bin/node" && chmod +x "$kit/bin/node"
  export PATH="$PWD/$kit/bin:$PATH"
fi
if [ ! -d node_modules ] || [ ! -d dist ]; then
  [ -f "$kit/modules.tar.xz" ] || { echo "no node_modules or dist/ here and no $kit/modules.tar.xz"; exit 1; }
  xz -dc "$kit/modules.tar.xz" | tar -xf -
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$out/gpu.txt" 2>&1
cat "$out/gpu.txt"

vitest() { node node_modules/vitest/vitest.mjs run "$@"; }
cuda_test_files=$(grep -rl --include='*.test.ts' CUDA test | sort)
export MIXDIM_PREBUILD="$PWD/build-gpu" MIXDIM_EXPECT_CUDA_COMPILED=1 MIXDIM_EXPECT_CUDA_DEVICE=1

build() {
  node node_modules/cmake-js/bin/cmake-js rebuild --out build-gpu/build >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; return 1; }
}
cuda_tests() {
  vitest --testNamePattern CUDA $cuda_test_files --reporter=default --reporter=json \
    --outputFile.json="$out/cuda-tests.json" >"$out/cuda-tests.log" 2>&1
  local tests=$?
  # A CUDA test that skipped did not check anything: count it as a failure, as CI does on the emulated build.
  node -e '
    const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = report.testResults.flatMap((f) => f.assertionResults)
      .filter((t) => t.status !== "passed" && t.status !== "failed" && t.ancestorTitles.some((a) => /CUDA/.test(a)));
    console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped.length} CUDA tests skipped`);
    process.exit(skipped.length > 0 ? 1 : 0);
  ' "$out/cuda-tests.json" | tee -a "$summary" && [ $tests -eq 0 ]
}
# The losses' block reductions (shared memory and __syncthreads) and the store's lookup (warp-wide rows).
sanitized() {  # sanitized TOOL
  compute-sanitizer --tool "$1" --error-exitcode 1 --target-processes all \
    node node_modules/vitest/vitest.mjs run test/ops/loss.test.ts test/cuda_store.test.ts \
    --testNamePattern "losses on CUDA|looks up the same padded rows" >"$out/$1.log" 2>&1
}
bench() {
  timeout 240 node dist/bench/main.js >"$out/bench.log" 2>&1 || return 1
  mkdir -p "$out/bench" && cp bench/results/*.json bench/results/*.md "$out/bench/"
}

step "build the CUDA addon" build
step "CUDA tests on the GPU" cuda_tests
step "compute-sanitizer memcheck" sanitized memcheck
step "compute-sanitizer racecheck" sanitized racecheck
step "kernel benchmark (limit: device-to-device copy)" bench
exit $status
