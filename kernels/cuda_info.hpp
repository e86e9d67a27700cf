#pragma once
// Device queries: kernels/cuda_info.cu with CUDA, host/cuda_info_nocuda.cpp without.
#include <string>

namespace calo {

// Number of usable CUDA devices (0 without a driver or device). Never throws.
int cuda_device_count();
// Why there is no device (driver message), or "" when one is usable.
std::string cuda_unavailable_reason();

}  // namespace calo
