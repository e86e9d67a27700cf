// CPU-only build: device memory requests explain that CUDA is not compiled in.
#include "host/device_memory.hpp"
#include "kernels/error_raise.hpp"

namespace calo {

namespace {
[[noreturn]] void no_cuda() {
  raise_error(
      "this calo4pq build has no CUDA support; rebuild on a machine with nvcc "
      "(cmake -DCALO_WITH_CUDA=ON) to use the cuda backend");
}
}  // namespace

void* device_malloc(size_t) {
  no_cuda();
}
void device_free(void* ptr) noexcept {
  (void)ptr;  // nothing was ever allocated
}
void copy_host_to_device(void*, const void*, size_t) {
  no_cuda();
}
void copy_device_to_host(void*, const void*, size_t) {
  no_cuda();
}
void copy_device_to_device(void*, const void*, size_t) {
  no_cuda();
}
void device_memset_zero(void*, size_t) {
  no_cuda();
}
void device_memset_bytes(void*, int, size_t) {
  no_cuda();
}
void device_synchronize() {
  no_cuda();
}
DevicePoolBytes device_pool_bytes() {
  return {};  // no device, no pool
}

}  // namespace calo
