#pragma once
// Compute backend selection. `cuda` is checked up front so a run without a usable GPU stops with
// one clear line instead of failing deep inside a kernel launch.
#include <string>
#include <string_view>

#include "kernels/cuda_info.hpp"

namespace calo {

enum class Backend { cpu, cuda };

Backend parse_backend(std::string_view name);  // "cpu" | "cuda", else InputError
std::string to_string(Backend backend);

bool cuda_compiled();
// Throws Error with a one-line explanation unless `backend` can run here.
void require_backend(Backend backend);

}  // namespace calo
