#pragma once
// An owned CUDA stream and the scope that makes it current. A model owns one (created by
// Calo4pQVAE::to(Backend::cuda)); its train_step and decodes, the trainer's step (Adam, the RBM
// update) and a generation block run inside a StreamScope on it, so the nn kernels, cuBLAS, the
// copies and memsets and the stream-ordered device allocations (kernels/device_memory.cu) reach it
// without a stream parameter on every op. Memory freed on the stream goes back to the device's
// memory pool and is reused by the next allocation on it without a device synchronisation.
#include <memory>

#include "kernels/stream.hpp"

namespace calo {

class CudaStream {
 public:
  static std::shared_ptr<CudaStream> create();  // throws in a CPU-only build
  ~CudaStream();                                // waits for the stream's work, then destroys it
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  CudaStreamHandle handle() const { return handle_; }
  void synchronize() const { cuda_stream_synchronize(handle_); }

 private:
  explicit CudaStream(CudaStreamHandle handle) : handle_(handle) {}
  CudaStreamHandle handle_ = nullptr;
};

// Makes `stream` the calling thread's current stream until the scope ends; a null stream (a model
// on the CPU) changes nothing. The scope keeps the stream alive, so an object that owns it may be
// destroyed inside the scope.
class StreamScope {
 public:
  explicit StreamScope(std::shared_ptr<CudaStream> stream);
  ~StreamScope();
  StreamScope(const StreamScope&) = delete;
  StreamScope& operator=(const StreamScope&) = delete;

 private:
  std::shared_ptr<CudaStream> stream_;
  CudaStreamHandle previous_ = nullptr;
};

}  // namespace calo
