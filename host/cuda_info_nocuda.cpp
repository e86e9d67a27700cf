#include "host/backend.hpp"

namespace calo {
int cuda_device_count() { return 0; }
std::string cuda_unavailable_reason() { return "CUDA support not compiled in"; }
}  // namespace calo
