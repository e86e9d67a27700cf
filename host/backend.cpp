#include "host/backend.hpp"

#include "host/error.hpp"

namespace calo {

Backend parse_backend(std::string_view name) {
  if (name == "cpu") return Backend::cpu;
  if (name == "cuda") return Backend::cuda;
  fail_input("unknown backend '{}': use cpu or cuda", name);
}

std::string to_string(Backend backend) { return backend == Backend::cpu ? "cpu" : "cuda"; }

bool cuda_compiled() { return CALO_HAVE_CUDA != 0; }

void require_backend(Backend backend) {
  if (backend == Backend::cpu) return;
  if (!cuda_compiled()) {
    fail("--backend cuda: this build has no CUDA support (no nvcc at build time); "
         "rebuild with the CUDA toolkit installed or use --backend cpu");
  }
  if (cuda_device_count() == 0) {
    fail("--backend cuda: no CUDA device is usable here ({}); use --backend cpu",
         cuda_unavailable_reason());
  }
}

}  // namespace calo
