// Marks a function as callable from host code and, under nvcc, from device code.
//
// Every kernel's arithmetic lives in a header under native/kernels/ and is written
// once with MIXDIM_HD, so the CPU kernels (native/*.cc) and the CUDA kernels
// (cuda/*.cu) run the very same expressions, and the CPU tests cover both.
#pragma once

#if defined(__CUDACC__)
#define MIXDIM_HD __host__ __device__ __forceinline__
#else
#define MIXDIM_HD inline
#endif
