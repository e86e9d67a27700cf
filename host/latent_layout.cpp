#include "host/latent_layout.hpp"

#include <algorithm>

#include "host/error.hpp"
#include "kernels/transform.hpp"

namespace calo {

LatentLayout::LatentLayout(int n) : n_(n) {
  if (n < 1) fail_input("latent layout: nodes per partition must be >= 1, got {}", n);
}

void LatentLayout::encode(double e_mev, uint8_t* out) const {
  energy_code(e_mev, n_, out);
}

std::vector<uint8_t> LatentLayout::code(double e_mev) const {
  std::vector<uint8_t> out(static_cast<size_t>(n_));
  encode(e_mev, out.data());
  return out;
}

std::vector<uint8_t> LatentLayout::codes(std::span<const float> energies_mev) const {
  std::vector<uint8_t> out(energies_mev.size() * size_t(n_));
  for (size_t b = 0; b < energies_mev.size(); ++b)
    encode(double(energies_mev[b]), out.data() + b * size_t(n_));
  return out;
}

std::vector<float> LatentLayout::float_codes(std::span<const float> energies_mev) const {
  const std::vector<uint8_t> bits = codes(energies_mev);
  return std::vector<float>(bits.begin(), bits.end());
}

size_t LatentLayout::rows(size_t values, size_t per_row, const char* what) const {
  if (values % per_row != 0)
    fail("latent layout: {} {} values are not whole rows of {} (n = {})", values, what, per_row,
         n_);
  return values / per_row;
}

std::vector<uint8_t> LatentLayout::states(std::span<const float> energies_mev,
                                          std::span<const float> free) const {
  std::vector<uint8_t> bits(free.size());
  for (size_t k = 0; k < free.size(); ++k) bits[k] = free[k] > 0.5f ? 1 : 0;
  return states(energies_mev, std::span<const uint8_t>(bits));
}

std::vector<uint8_t> LatentLayout::states(std::span<const float> energies_mev,
                                          std::span<const uint8_t> free) const {
  const size_t B = energies_mev.size(), F = size_t(free_units()), U = size_t(units());
  if (rows(free.size(), F, "free-unit") != B)
    fail("latent layout: {} rows of free units for {} energies", free.size() / F, B);
  std::vector<uint8_t> out(B * U);
  for (size_t b = 0; b < B; ++b) {
    encode(double(energies_mev[b]), out.data() + b * U);
    std::copy_n(free.data() + b * F, F, out.data() + b * U + size_t(offset(1)));
  }
  return out;
}

std::vector<float> LatentLayout::float_states(std::span<const float> energies_mev,
                                              std::span<const float> free) const {
  const size_t B = energies_mev.size(), F = size_t(free_units()), U = size_t(units());
  if (rows(free.size(), F, "free-unit") != B)
    fail("latent layout: {} rows of free units for {} energies", free.size() / F, B);
  std::vector<float> out(B * U);
  std::vector<uint8_t> bits(static_cast<size_t>(n_));
  for (size_t b = 0; b < B; ++b) {
    encode(double(energies_mev[b]), bits.data());
    std::copy(bits.begin(), bits.end(), out.begin() + long(b * U));
    std::copy_n(free.data() + b * F, F, out.data() + b * U + size_t(offset(1)));
  }
  return out;
}

std::vector<float> LatentLayout::free_part(std::span<const uint8_t> states) const {
  const size_t U = size_t(units()), F = size_t(free_units());
  const size_t B = rows(states.size(), U, "state");
  std::vector<float> out(B * F);
  for (size_t b = 0; b < B; ++b)
    for (size_t k = 0; k < F; ++k) out[b * F + k] = states[b * U + size_t(offset(1)) + k];
  return out;
}

}  // namespace calo
