// NCCL all-reduce of device buffers (host/dist/nccl_allreduce.hpp). Built only with CUDA and NCCL;
// never run on this project's CI machines (no GPU): see the README, "On a cluster".
#include "host/dist/nccl_allreduce.hpp"

#include <cstdint>
#include <span>
#include <string>

#include "host/dist/communicator.hpp"
#include "host/error.hpp"

#if CALO_HAVE_NCCL
#include <cuda_runtime.h>
#include <nccl.h>
#endif

namespace calo::dist {

#if CALO_HAVE_NCCL

bool built_with_nccl() {
  return true;
}

namespace {

void check(ncclResult_t rc, const char* what) {
  if (rc == ncclSuccess) return;
  fail("NCCL {} failed: {} (another rank probably died, or two ranks share a GPU; see above)", what,
       ncclGetErrorString(rc));
}

void check(cudaError_t rc, const char* what) {
  if (rc == cudaSuccess) return;
  fail("CUDA {} failed during an NCCL all-reduce: {}", what, cudaGetErrorString(rc));
}

class Nccl final : public NcclAllreduce {
 public:
  explicit Nccl(Communicator& comm) {
    ncclUniqueId id{};
    if (comm.is_root()) check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    comm.broadcast(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&id), sizeof(id)), 0);
    check(ncclCommInitRank(&comm_, comm.size(), id, comm.rank()), "ncclCommInitRank");
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  }
  ~Nccl() override {
    if (stream_) cudaStreamDestroy(stream_);
    if (comm_) ncclCommDestroy(comm_);
  }
  void sum(float* values, size_t count) override {
    // The gradients were written on the default stream: make them visible to NCCL's stream.
    check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    check(ncclAllReduce(values, values, count, ncclFloat, ncclSum, comm_, stream_),
          "ncclAllReduce");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  }

 private:
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
};

}  // namespace

std::unique_ptr<NcclAllreduce> make_nccl_allreduce(Communicator& comm) {
  return std::make_unique<Nccl>(comm);
}

#else

bool built_with_nccl() {
  return false;
}

std::unique_ptr<NcclAllreduce> make_nccl_allreduce(Communicator&) {
  fail("this build has no NCCL (configure found no nccl.h / libnccl with CUDA)");
}

#endif

}  // namespace calo::dist
