#include "host/stream.hpp"

#include <utility>

namespace calo {

std::shared_ptr<CudaStream> CudaStream::create() {
  return std::shared_ptr<CudaStream>(new CudaStream(cuda_stream_create()));
}

CudaStream::~CudaStream() {
  // No kernel may still run on a stream that is destroyed; its memory is the pool's and outlives
  // it.
  try {
    cuda_stream_synchronize(handle_);
  } catch (...) {  // a failed device: nothing left to wait for
  }
  cuda_stream_destroy(handle_);
}

StreamScope::StreamScope(std::shared_ptr<CudaStream> stream) : stream_(std::move(stream)) {
  if (stream_) previous_ = exchange_current_cuda_stream(stream_->handle());
}

StreamScope::~StreamScope() {
  if (stream_) exchange_current_cuda_stream(previous_);
}

}  // namespace calo
