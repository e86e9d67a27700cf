#pragma once
// Sums of device (CUDA) buffers over the ranks by NCCL: one NCCL communicator per rank, built from
// the MPI job (rank 0's ncclUniqueId broadcast over MPI), for the flat gradient buffer of
// `calo_train --backend cuda` under mpirun/srun. Compiled when configure finds nccl.h and
// libnccl (CALO_HAVE_NCCL, the CUDA toolkit ships them); otherwise the gradients go through host
// memory and MPI.
#include <cstddef>
#include <memory>

namespace calo::dist {

class Communicator;

class NcclAllreduce {
 public:
  virtual ~NcclAllreduce() = default;
  // In-place element-wise sum of `count` floats at the device pointer `values`, the same result
  // on every rank; returns when the sum is complete on this rank's device.
  virtual void sum(float* values, size_t count) = 0;
};

// Whether this build carries the NCCL path.
bool built_with_nccl();

// Collective over `comm` (every rank calls it, each on its own CUDA device). Throws without NCCL.
std::unique_ptr<NcclAllreduce> make_nccl_allreduce(Communicator& comm);

}  // namespace calo::dist
