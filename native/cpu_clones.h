// MIXDIM_CPU_CLONES: compile a CPU loop three times, for x86-64-v4 (AVX-512), x86-64-v3 (AVX2 and
// FMA) and baseline x86-64, and let the loader pick the best one this CPU runs (GCC/Clang
// target_clones, resolved once by an ifunc). The addon is built for baseline x86-64 so that one
// binary runs everywhere; without this, elementwise loops (tanh, batch norm, Adam) run 4-wide SSE2
// at best.
//
// Put it on a plain function that holds the whole loop: lambdas and the functions they call are
// compiled for the baseline, so a loop inside a lambda passed to the thread pool gains nothing.
// Builds use -ffp-contract=off, so no clone fuses a multiply and an add by itself: every clone
// computes the same bits as the baseline (and as CUDA, for the math shared in native/kernels/).
// Where the shared math asks for fmaf, the v4 and v3 clones inline the FMA instruction and the
// baseline calls libm's fmaf, which rounds the same.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__CUDACC__)
#define MIXDIM_CPU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MIXDIM_CPU_CLONES
#endif
