#pragma once
// Annealed importance sampling estimates of log Z.
#include <cstdint>
#include <vector>

#include "samplers/rbm.hpp"

namespace calo {

struct AisOptions {
  int chains = 256;
  int steps = 1000;  // intermediate temperatures, linear in beta
  uint64_t seed = 1;
};
struct AisResult {
  double log_z = 0;
  double log_z_stderr = 0;  // from the spread of the importance weights (delta method)
};

// log Z of the free partitions 1-3 given partition 0 clamped to `clamp` (n values):
// Z(c) = sum_{z1,z2,z3} exp(-E(c, z1, z2, z3)) (energy including the partition-0 bias).
AisResult ais_log_z_conditional(const Rbm& rbm, const std::vector<uint8_t>& clamp,
                                const AisOptions& o);
// log Z over all 4n nodes.
AisResult ais_log_z(const Rbm& rbm, const AisOptions& o);
// exact log Z by enumeration (num_nodes <= 24), for tests
double exact_log_z(const Rbm& rbm);
// mean log-likelihood of data states (batch x 4n) = -mean E - log Z
double log_likelihood(const Rbm& rbm, const std::vector<uint8_t>& data, int batch, double log_z);

}  // namespace calo
