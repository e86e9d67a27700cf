#pragma once
// CALO_HD marks functions shared by the CPU path and CUDA kernels. The CPU tests exercise exactly
// the code the GPU runs, so every index computation, RNG draw and update rule lives in CALO_HD
// code.
#if defined(__CUDACC__)
#define CALO_HD __host__ __device__
#define CALO_HD_INLINE __host__ __device__ __forceinline__
#else
#define CALO_HD
#define CALO_HD_INLINE inline
#endif
