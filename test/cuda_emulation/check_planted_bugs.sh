#!/usr/bin/env bash
# Proof that the emulated CUDA build has teeth: plants each bug of planted_bugs.mjs in turn in the
# build's copy of cuda/ (only that file recompiles), runs the test that must then fail, and
# rebuilds without any bug at the end. Needs a configured build-emulated/ (npm run build:cuda-emulated).
# Logs go to LOG_DIR (default ci-results/).
# Exit status 0 only when every planted bug was caught.
#   test/cuda_emulation/check_planted_bugs.sh [LOG_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
logs=${1:-ci-results}
mkdir -p "$logs"
status=0
build() {  # build BUG: the emulated build with BUG planted ("" for none)
  cmake -DMIXDIM_EMULATION_PLANTED_BUG="$1" build-emulated/build && cmake --build build-emulated/build
}
bugs=$(node -e 'import("./test/cuda_emulation/planted_bugs.mjs").then((m) => {
  for (const [name, bug] of Object.entries(m.plantedBugs)) console.log([name, ...bug.test].join("\t"));
})')
while IFS=$'\t' read -r bug file pattern; do
  log="$logs/planted-$bug.log"
  if ! build "$bug" >"$log" 2>&1; then
    echo "planted bug $bug: the build failed (see $log)"; status=1; continue
  fi
  if test/cuda_emulation/with_emulated_build.sh npx vitest run "$file" --testNamePattern "$pattern" >>"$log" 2>&1; then
    echo "planted bug $bug: NOT caught: $file > \"$pattern\" passed"; status=1
  else
    how=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -m1 -oE "ERROR: AddressSanitizer: [a-z-]+|runtime error: .*|mixdim CUDA emulation: .{0,80}|AssertionError: .{0,80}")
    echo "planted bug $bug: caught: $file > \"$pattern\" failed (${how:-see $log})"
  fi
done <<<"$bugs"
build "" >"$logs/planted-restore.log" 2>&1 || { echo "rebuilding without a planted bug failed"; status=1; }
exit $status
