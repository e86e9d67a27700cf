#pragma once
// CALO_CPU_CLONES before a hot CPU loop's definition compiles it for baseline x86-64, x86-64-v3
// (AVX2 + FMA) and x86-64-v4 (AVX-512) and picks one when the program loads (GCC's ifunc
// dispatch), as OpenBLAS and PyTorch choose their kernels at run time: the default build stays
// portable (no -march) while these loops run 8 or 16 lanes wide where the CPU has them.
// The build sets -ffp-contract=off, so no clone fuses a multiply and an add and every clone gives
// the baseline's results bit for bit (vectorising an elementwise loop changes no rounding, and GCC
// does not reorder float sums without -ffast-math). Empty for other compilers (the clang
// sanitizer and fuzz builds) and other architectures.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(CALO_NO_CPU_CLONES)
#define CALO_CPU_CLONES \
  __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define CALO_CPU_CLONES
#endif
