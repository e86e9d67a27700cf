#pragma once
// CUDA streams for the host layers, fmt-free so .cu files can include it. The handle is a
// cudaStream_t behind void* (host code never includes cuda_runtime.h). kernels/stream.cu creates
// them; host/stream_nocuda.cpp answers in a CPU-only build. host/stream.hpp wraps one in an owning
// CudaStream and a StreamScope that makes it the calling thread's current stream.
namespace calo {

using CudaStreamHandle = void*;

// A blocking stream (cudaStreamDefault): the legacy default stream, which the samplers' kernels
// (kernels/rbm) still use, waits for work queued on it before and orders work after, so device
// memory allocated, written or freed on either is always safe to use on the other.
CudaStreamHandle cuda_stream_create();
void cuda_stream_destroy(CudaStreamHandle stream) noexcept;
void cuda_stream_synchronize(CudaStreamHandle stream);

// The stream the calling thread's nn kernels, cuBLAS calls, copies, memsets and device allocations
// go to: the innermost StreamScope's, or nullptr (the legacy default stream) outside any.
CudaStreamHandle current_cuda_stream();
// Sets it and returns the previous one (StreamScope's implementation).
CudaStreamHandle exchange_current_cuda_stream(CudaStreamHandle stream);

}  // namespace calo
