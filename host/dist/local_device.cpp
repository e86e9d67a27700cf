#include "host/dist/local_device.hpp"

#include <cstdlib>
#include <string>

#include "host/error.hpp"
#include "kernels/cuda_info.hpp"

#if CALO_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace calo::dist {

int launcher_local_rank() {
  const char* names[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMI_LOCAL_RANK"};
  for (const char* name : names)
    if (const char* v = std::getenv(name); v && *v) return std::atoi(v);
  if (std::getenv("SLURM_STEP_ID"))
    if (const char* v = std::getenv("SLURM_LOCALID"); v && *v) return std::atoi(v);
  return -1;
}

int select_local_cuda_device() {
#if CALO_HAVE_CUDA
  const int local = launcher_local_rank();
  if (local < 0) return -1;
  const int devices = cuda_device_count();
  if (devices <= 1) return -1;
  const int device = local % devices;
  if (const cudaError_t rc = cudaSetDevice(device); rc != cudaSuccess)
    fail("cudaSetDevice({}) for local rank {} failed: {}", device, local, cudaGetErrorString(rc));
  return device;
#else
  return -1;
#endif
}

}  // namespace calo::dist
