#pragma once
// Integers read from untrusted JSON (checkpoint state, SAPI replies). nlohmann's get<int>() casts
// a floating-point value such as 1e300 to int, which is undefined behaviour (UBSan reports it);
// this accepts only integer-valued numbers that fit in T.
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>

namespace calo {

template <typename T>
std::optional<T> json_integer(const nlohmann::json& j) {
  static_assert(std::is_signed_v<T> && std::is_integral_v<T>);
  if (j.is_number_unsigned()) {
    const auto v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) return std::nullopt;
    return static_cast<T>(v);
  }
  if (j.is_number_integer()) {
    const auto v = j.get<int64_t>();
    if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        (v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
      return std::nullopt;
    return static_cast<T>(v);
  }
  if (j.is_number_float()) {  // 3.0 is accepted as 3, as nlohmann does
    const double d = j.get<double>();
    // For a signed T, -min = max + 1 is a power of two: exact as a double.
    if (!(d == std::floor(d)) || !(d >= double(std::numeric_limits<T>::min())) ||
        !(d < -double(std::numeric_limits<T>::min())))
      return std::nullopt;
    return static_cast<T>(d);
  }
  return std::nullopt;
}

}  // namespace calo
