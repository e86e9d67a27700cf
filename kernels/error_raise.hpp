#pragma once
// fmt-free entry points to throw calo::Error. CUDA translation units (.cu) include only this
// header: nvcc cannot compile fmt's consteval format strings, so .cu files never include fmt
// (nor spdlog, nor host/error.hpp) and build their messages with std::string.
#include <string>

namespace calo {

[[noreturn]] void raise_error(const std::string& message);
[[noreturn]] void raise_input_error(const std::string& message);

}  // namespace calo
