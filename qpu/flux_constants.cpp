#include "qpu/flux_constants.hpp"

#include <cmath>

namespace calo::qpu {

namespace {
constexpr double kPlanck = 6.62607e-34;  // J s (the value dwave-system uses)
constexpr double kPhi0 = 2.0678e-15;     // Wb

struct Row {
  const char* prefix;
  double b_ghz, m_afm_ph;
};
// Most specific prefix first. Values: D-Wave solver_properties_specific (B at the quantum critical
// point, M_AFM); Advantage_system4.1 are dwave-system's defaults.
constexpr Row kRows[] = {
    {"Advantage2_prototype", 2.014, 0.443},
    {"Advantage2_standin", 2.308, 0.528},  // calo_sapi_standin's default mimics Advantage2_system1
    {"Advantage2_system4", 2.154, 0.514},
    {"Advantage2_system", 2.308, 0.528},
    {"Advantage_system", 1.391, 1.647},
};
}  // namespace

double FluxConstants::phi0_per_h() const {
  const double b_joule = b_ghz * 1e9 * kPlanck;
  const double ip = std::sqrt(b_joule / (2 * m_afm_ph * 1e-12));  // A
  const double ip_b = ip * kPhi0 / (1e9 * kPlanck);               // GHz per Phi0
  return b_ghz / (2 * ip_b);
}

FluxConstants flux_constants_for(const std::string& name, const std::string& topology_type) {
  for (const Row& r : kRows) {
    const std::string prefix = r.prefix;
    if (name.rfind(prefix, 0) == 0) {
      std::string family = prefix;
      if (family == "Advantage2_system" || family == "Advantage2_standin")
        family = "Advantage2_system1";
      if (family == "Advantage2_prototype") family = "Advantage2_prototype2.6";
      if (family == "Advantage_system") family = "Advantage_system4.1";
      return {family, r.b_ghz, r.m_afm_ph, false};
    }
  }
  if (topology_type == "zephyr") return {"Advantage2_system1", 2.308, 0.528, true};
  return {"Advantage_system4.1", 1.391, 1.647, true};
}

}  // namespace calo::qpu
