#pragma once
// The latent layout shared by the model, its RBM prior, the samplers and the QPU path: 4
// partitions of n units, partition 0 the binary code of the incident energy (kernels/transform.hpp,
// energy_code), partitions 1-3 the encoder's posterior. A state is 4n uint8 in partition order; a
// batch is chain-major (rows of 4n). The one place that knows the offsets and builds the codes.
#include <cstdint>
#include <span>
#include <vector>

namespace calo {

class LatentLayout {
 public:
  static constexpr int kPartitions = 4;
  static constexpr int kEnergyPartition = 0;

  explicit LatentLayout(int n);
  int n() const { return n_; }
  int units() const { return kPartitions * n_; }  // one full state
  int free_units() const { return 3 * n_; }       // partitions 1-3
  int offset(int partition) const { return partition * n_; }

  // The n-bit code of one energy (MeV) into out[0..n).
  void encode(double e_mev, uint8_t* out) const;
  std::vector<uint8_t> code(double e_mev) const;
  // Codes of a batch: B x n, as bits or as floats (network inputs).
  std::vector<uint8_t> codes(std::span<const float> energies_mev) const;
  std::vector<float> float_codes(std::span<const float> energies_mev) const;

  // Full states (B x 4n) from the energies and the free units (B x 3n; > 0.5 counts as on).
  std::vector<uint8_t> states(std::span<const float> energies_mev,
                              std::span<const float> free) const;
  std::vector<uint8_t> states(std::span<const float> energies_mev,
                              std::span<const uint8_t> free) const;
  // Float rows (B x 4n): the code and the free units as given (relaxed values kept).
  std::vector<float> float_states(std::span<const float> energies_mev,
                                  std::span<const float> free) const;
  // The free units (B x 3n) of full states (B x 4n).
  std::vector<float> free_part(std::span<const uint8_t> states) const;

 private:
  size_t rows(size_t values, size_t per_row, const char* what) const;
  int n_;
};

}  // namespace calo
