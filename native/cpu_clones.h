// MIXDIM_CPU_CLONES: compile a CPU loop three times, for AVX-512, AVX2 and baseline x86-64, and
// let the loader pick the best one this CPU runs (GCC/Clang target_clones, resolved once by an
// ifunc). The addon is built for baseline x86-64 so that one binary runs everywhere; without
// this, elementwise loops (tanh, batch norm, Adam) run 4-wide SSE2 at best.
//
// Put it on a plain function that holds the whole loop: lambdas and the functions they call are
// compiled for the baseline, so a loop inside a lambda passed to the thread pool gains nothing.
// Builds use -ffp-contract=off, so no clone fuses a multiply and an add: every clone computes the
// same bits as the baseline (and as CUDA, for the math shared in native/kernels/).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__CUDACC__)
#define MIXDIM_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MIXDIM_CPU_CLONES
#endif
