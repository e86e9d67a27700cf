#pragma once
// SAPI "qp" wire format (research/dwave.md section 3): base64, little-endian float64/int32 arrays,
// problem encoding (lin/quad against the solver's qubit and coupler lists) and answer decoding
// (MSB-first packed spins). Used by both the SAPI client and the offline stand-in server.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace calo::qpu {

std::string base64_encode(std::span<const uint8_t> bytes);
// Throws calo::RemoteError naming `what` on characters outside the alphabet or bad padding.
std::vector<uint8_t> base64_decode(std::string_view text, std::string_view what);

std::string encode_f64(std::span<const double> values);
std::string encode_i32(std::span<const int32_t> values);
std::vector<double> decode_f64(std::string_view b64, std::string_view what);
std::vector<int32_t> decode_i32(std::string_view b64, std::string_view what);

// Working graph of a solver: `qubits` in lin order, `couplers` (a < b) in quad order.
struct SolverGraph {
  int num_qubits = 0;  // nominal count (length of flux_biases)
  std::vector<int> qubits;
  std::vector<std::pair<int, int>> couplers;
};

// Ising problem on qubit labels; couplers stored with first < second.
struct IsingProblem {
  std::map<int, double> h;
  std::map<std::pair<int, int>, double> J;
  void add_J(int a, int b, double value);  // sums directed pairs, as dwave-cloud-client does
};

struct QpData {
  std::string lin, quad;
};

// Encodes as SAPI "qp": lin has one entry per solver qubit (NaN for inactive), quad one entry per
// coupler whose endpoints are both active. Throws InputError for h/J on qubits or couplers the
// solver does not have.
QpData encode_qp(const SolverGraph& graph, const IsingProblem& problem);
// Inverse of encode_qp (the stand-in's parser); throws RemoteError-free InputError on malformed
// data.
IsingProblem decode_qp(const SolverGraph& graph, const QpData& data);

struct QpAnswer {
  int num_variables = 0;
  std::vector<int> active_variables;
  std::vector<std::vector<int8_t>> solutions;  // spins +-1, one row per solution, active order
  std::vector<double> energies;
  std::vector<int> num_occurrences;  // all 1 when the answer carries none
  nlohmann::json timing = nlohmann::json::object();
};

nlohmann::json encode_qp_answer(const QpAnswer& answer);
// Decodes the "answer" object; every inconsistency is a RemoteError naming the field.
QpAnswer decode_qp_answer(const nlohmann::json& answer);

}  // namespace calo::qpu
