#pragma once
// Flux-bias <-> h conversion constants per solver family (research/dwave.md section 4,
// dwave-system temperatures.py): h_to_fluxbias(h) = -B / (2 Ip_B) h in Phi0, with
// Ip = sqrt(B / (2 M_AFM)) and Ip_B = Ip Phi0 / (1e9 h_Planck). B is the problem-Hamiltonian
// schedule B(s) at the quantum critical point (GHz), M_AFM the maximum antiferromagnetic mutual
// inductance (pH), both from D-Wave's published per-solver properties. The Phi0-per-h factor
// scales as sqrt(B M_AFM): on Advantage2 it is 1.4-1.6x smaller than on Advantage.
#include <string>

namespace calo::qpu {

struct FluxConstants {
  std::string family;  // the table row these come from, e.g. "Advantage2_system1"
  double b_ghz = 1.391;
  double m_afm_ph = 1.647;
  bool guessed = false;  // true when chosen from the topology because the name was not known
  // Phi0 of flux bias per unit of h, positive: fb = -phi0_per_h() * h.
  double phi0_per_h() const;
};

// Constants for a solver, by name prefix (Advantage_system*, Advantage2_prototype*,
// Advantage2_system4*, Advantage2_system*; the stand-in's Advantage2_standin as system1), else by
// topology family (zephyr: Advantage2_system1, pegasus: Advantage_system4.1) with guessed = true.
FluxConstants flux_constants_for(const std::string& solver_name, const std::string& topology_type);

}  // namespace calo::qpu
