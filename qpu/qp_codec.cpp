#include "qpu/qp_codec.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "host/error.hpp"
#include "host/json_int.hpp"

namespace calo::qpu {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

template <typename T>
std::string encode_le(std::span<const T> values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &values[i], sizeof(T));  // little-endian hosts only (x86-64, aarch64)
    std::memcpy(bytes.data() + i * sizeof(T), raw, sizeof(T));
  }
  return base64_encode(bytes);
}

template <typename T>
std::vector<T> decode_le(std::string_view b64, std::string_view what) {
  const std::vector<uint8_t> bytes = base64_decode(b64, what);
  if (bytes.size() % sizeof(T) != 0)
    throw RemoteError(fmt::format("SAPI answer field '{}' has {} bytes, not a multiple of {}", what,
                                  bytes.size(), sizeof(T)));
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}
}  // namespace

std::string base64_encode(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint32_t(bytes[i]) << 16) | (uint32_t(bytes[i + 1]) << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const uint32_t v = (uint32_t(bytes[i]) << 16) | (uint32_t(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::vector<uint8_t> base64_decode(std::string_view text, std::string_view what) {
  if (text.size() % 4 != 0)
    throw RemoteError(
        fmt::format("base64 field '{}' has length {}, not a multiple of 4", what, text.size()));
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0 || (v[k] = b64_value(c)) < 0)
        throw RemoteError(
            fmt::format("base64 field '{}' has an invalid character at offset {}", what, i + k));
    }
    const uint32_t word =
        (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out.push_back(uint8_t(word >> 16));
    if (pad < 2) out.push_back(uint8_t(word >> 8));
    if (pad < 1) out.push_back(uint8_t(word));
  }
  return out;
}

std::string encode_f64(std::span<const double> values) {
  return encode_le<double>(values);
}
std::string encode_i32(std::span<const int32_t> values) {
  return encode_le<int32_t>(values);
}
std::vector<double> decode_f64(std::string_view b64, std::string_view what) {
  return decode_le<double>(b64, what);
}
std::vector<int32_t> decode_i32(std::string_view b64, std::string_view what) {
  return decode_le<int32_t>(b64, what);
}

void IsingProblem::add_J(int a, int b, double value) {
  if (a == b) fail_input("Ising coupler ({}, {}) joins a qubit to itself", a, b);
  J[{std::min(a, b), std::max(a, b)}] += value;
}

QpData encode_qp(const SolverGraph& graph, const IsingProblem& problem) {
  std::set<int> active;
  std::set<int> known(graph.qubits.begin(), graph.qubits.end());
  for (const auto& [q, v] : problem.h) {
    if (!known.count(q)) fail_input("h is set on qubit {}, which the solver does not have", q);
    active.insert(q);
  }
  std::set<std::pair<int, int>> couplers(graph.couplers.begin(), graph.couplers.end());
  for (const auto& [e, v] : problem.J) {
    if (!couplers.count(e))
      fail_input("J is set on ({}, {}), which is not a coupler of the solver", e.first, e.second);
    active.insert(e.first);
    active.insert(e.second);
  }
  std::vector<double> lin;
  lin.reserve(graph.qubits.size());
  for (int q : graph.qubits) {
    if (!active.count(q)) {
      lin.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    auto it = problem.h.find(q);
    lin.push_back(it == problem.h.end() ? 0.0 : it->second);
  }
  std::vector<double> quad;
  for (const auto& e : graph.couplers) {
    if (!active.count(e.first) || !active.count(e.second)) continue;
    auto it = problem.J.find(e);
    quad.push_back(it == problem.J.end() ? 0.0 : it->second);
  }
  return {encode_f64(lin), encode_f64(quad)};
}

IsingProblem decode_qp(const SolverGraph& graph, const QpData& data) {
  std::vector<double> lin, quad;
  try {
    lin = decode_f64(data.lin, "lin");
    quad = decode_f64(data.quad, "quad");
  } catch (const RemoteError& e) {
    throw InputError(e.what());
  }
  if (lin.size() != graph.qubits.size())
    fail_input("'lin' has {} entries but the solver has {} working qubits", lin.size(),
               graph.qubits.size());
  IsingProblem problem;
  std::set<int> active;
  for (size_t i = 0; i < lin.size(); ++i) {
    if (std::isnan(lin[i])) continue;
    if (!std::isfinite(lin[i])) fail_input("'lin' entry {} is not finite", i);
    active.insert(graph.qubits[i]);
    problem.h[graph.qubits[i]] = lin[i];
  }
  size_t k = 0;
  for (const auto& e : graph.couplers) {
    if (!active.count(e.first) || !active.count(e.second)) continue;
    if (k >= quad.size())
      fail_input("'quad' has {} entries but the active qubits span more couplers", quad.size());
    if (!std::isfinite(quad[k])) fail_input("'quad' entry {} is not finite", k);
    problem.J[e] = quad[k++];
  }
  if (k != quad.size())
    fail_input("'quad' has {} entries but the active qubits span {} couplers", quad.size(), k);
  return problem;
}

nlohmann::json encode_qp_answer(const QpAnswer& a) {
  const size_t n = a.active_variables.size();
  const size_t stride = (n + 7) / 8;
  std::vector<uint8_t> packed(stride * a.solutions.size(), 0);
  for (size_t s = 0; s < a.solutions.size(); ++s)
    for (size_t i = 0; i < n; ++i)
      if (a.solutions[s][i] > 0) packed[s * stride + i / 8] |= uint8_t(0x80u >> (i % 8));
  std::vector<int32_t> active(a.active_variables.begin(), a.active_variables.end());
  std::vector<int32_t> occ(a.num_occurrences.begin(), a.num_occurrences.end());
  return {{"format", "qp"},
          {"num_variables", a.num_variables},
          {"active_variables", encode_i32(active)},
          {"solutions", base64_encode(packed)},
          {"energies", encode_f64(a.energies)},
          {"num_occurrences", encode_i32(occ)},
          {"timing", a.timing}};
}

QpAnswer decode_qp_answer(const nlohmann::json& j) {
  auto field = [&](const char* name) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(name))
      throw RemoteError(fmt::format("SAPI answer has no '{}' field", name));
    return j.at(name);
  };
  auto text = [&](const char* name) -> std::string {
    const auto& v = field(name);
    if (!v.is_string())
      throw RemoteError(fmt::format("SAPI answer field '{}' is not a string", name));
    return v.get<std::string>();
  };
  if (text("format") != "qp")
    throw RemoteError(fmt::format("SAPI answer has format '{}', expected 'qp'", text("format")));
  QpAnswer a;
  if (!field("num_variables").is_number_integer() || !json_integer<int>(field("num_variables")))
    throw RemoteError("SAPI answer field 'num_variables' is not an integer");
  a.num_variables = *json_integer<int>(field("num_variables"));
  for (int32_t v : decode_i32(text("active_variables"), "active_variables")) {
    if (v < 0 || v >= a.num_variables)
      throw RemoteError(
          fmt::format("SAPI answer lists active variable {} outside [0, {})", v, a.num_variables));
    a.active_variables.push_back(v);
  }
  a.energies = decode_f64(text("energies"), "energies");
  const size_t n = a.active_variables.size();
  const size_t stride = (n + 7) / 8;
  const std::vector<uint8_t> packed = base64_decode(text("solutions"), "solutions");
  const size_t count = a.energies.size();
  // Trailing bytes beyond count * stride are tolerated: the official dwave-cloud-client fixture
  // (res_msg) packs one 5-spin solution into 4 bytes.
  if (packed.size() < count * stride)
    throw RemoteError(fmt::format(
        "SAPI answer 'solutions' has {} bytes but {} energies x {} bytes per solution need {}; "
        "the answer is truncated or malformed",
        packed.size(), count, stride, count * stride));
  a.solutions.assign(count, std::vector<int8_t>(n));
  for (size_t s = 0; s < count; ++s)
    for (size_t i = 0; i < n; ++i)
      a.solutions[s][i] = (packed[s * stride + i / 8] & (0x80u >> (i % 8))) ? 1 : -1;
  if (j.contains("num_occurrences")) {
    for (int32_t v : decode_i32(text("num_occurrences"), "num_occurrences"))
      a.num_occurrences.push_back(v);
    if (a.num_occurrences.size() != count)
      throw RemoteError(fmt::format("SAPI answer has {} num_occurrences for {} solutions",
                                    a.num_occurrences.size(), count));
  } else {
    a.num_occurrences.assign(count, 1);
  }
  if (j.contains("timing")) a.timing = j.at("timing");
  return a;
}

}  // namespace calo::qpu
