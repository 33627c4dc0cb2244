#!/usr/bin/env bash
# Runs a command (usually vitest) against the emulated CUDA build in build-emulated/ (npm run
# build:cuda-emulated): loads it instead of build/Release, preloads the sanitizer runtimes that
# build needs (node itself is not instrumented), and makes the first sanitizer report fatal.
#   test/cuda_emulation/with_emulated_build.sh npx vitest run --testNamePattern CUDA test/ops
# MIXDIM_EMULATED_THREAD_ORDER (forward, reverse, random[:seed]) and MIXDIM_EMULATED_DEVICES pass through.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export MIXDIM_PREBUILD="$root/build-emulated"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Outputs left unfilled (Tensor.empty) start as NaN, so a kernel that skips an element fails its test.
export MIXDIM_FILL_UNINITIALIZED=nan
export MIXDIM_EXPECT_CUDA_COMPILED=1 MIXDIM_EXPECT_CUDA_EMULATION=1
exec "$@"
