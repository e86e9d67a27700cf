#pragma once
// Thread settings that hold up on a shared node. libgomp and OpenBLAS read their settings from the
// environment when they are loaded, before main() runs, so the apps set what the user left unset
// and re-execute themselves once:
//   OMP_WAIT_POLICY=passive  idle OpenMP threads sleep instead of spinning; a spinning thread
//                            steals the core a descheduled team member needs (measured: the
//                            quickstart trained at 5.8 instead of 61.7 showers/s beside a busy
//                            process, and at 21 instead of 50 on two quiet cores).
//   OPENBLAS_NUM_THREADS=1   calo4pq parallelises around its GEMMs with OpenMP (host/parallel.hpp);
//                            a second, pthread-based pool in OpenBLAS would spin in sched_yield
//                            against it (37% of a training profile).
//   OPENBLAS_CORETYPE        only when OpenBLAS did not recognise the CPU and fell back to its
//                            SSE3 Prescott kernels: SkylakeX on AVX-512, Haswell on AVX2 + FMA.
//   GLIBC_TUNABLES           malloc serves blocks up to 32 MiB from its heap and keeps up to
//                            128 MiB of freed heap (kMallocTunables): by default glibc maps each
//                            block over 128 KiB afresh and unmaps it on free, so every decoder
//                            pass page-faulted its activations in again (a dataset2_zephyr decode
//                            of 768 showers: 1.55M faults -> 0.41M, 9% less CPU time, same peak
//                            RSS; +38 MB RSS at the bench_gen size).
// A variable the user sets wins (OMP_WAIT_POLICY, GOMP_SPINCOUNT, OPENBLAS_NUM_THREADS,
// OPENBLAS_CORETYPE, GLIBC_TUNABLES, MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_);
// CALO_RUNTIME_POLICY=off disables all of this.
namespace calo {

// The GLIBC_TUNABLES value the policy sets.
extern const char* const kMallocTunables;

enum class BlasThreads {
  serial,  // the nn apps: OpenMP parallelises around single-threaded GEMMs
  library  // calo_eval: its large double GEMMs (FPD/KPD Gram blocks) use OpenBLAS's own threads
};

// Call first in main(). Returns normally when nothing had to change (or re-executing failed, in
// which case the run continues with the inherited settings); otherwise does not return.
void apply_runtime_policy(int argc, char** argv, BlasThreads blas = BlasThreads::serial);

}  // namespace calo
