// Fuzz target: the SAPI "qp" codec. First byte even: the input is an answer object (JSON) for
// decode_qp_answer (base64 arrays, packed spins, energies, occurrences). Odd: "lin\nquad" base64
// for decode_qp against a small chimera graph (the stand-in's problem parser).
#include <algorithm>

#include "host/topology/graph.hpp"
#include "qpu/qp_codec.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view text = calo::fuzz::as_text(data + 1, size - 1);
  try {
    if (data[0] % 2 == 0) {
      const auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_discarded()) return 0;
      const calo::qpu::QpAnswer a = calo::qpu::decode_qp_answer(j);
      (void)calo::qpu::encode_qp_answer(a);
    } else {
      static const calo::qpu::SolverGraph graph = [] {
        const calo::QubitGraph g = calo::chimera_graph(1, 1, 4);
        calo::qpu::SolverGraph s;
        s.num_qubits = int(g.num_nominal_qubits);
        for (int64_t q : g.nodes) s.qubits.push_back(int(q));
        for (const auto& [a, b] : g.edges) s.couplers.emplace_back(int(a), int(b));
        return s;
      }();
      const size_t nl = std::min(text.find('\n'), text.size());
      calo::qpu::QpData qp{std::string(text.substr(0, nl)),
                           std::string(nl < text.size() ? text.substr(nl + 1) : "")};
      const calo::qpu::IsingProblem p = calo::qpu::decode_qp(graph, qp);
      (void)calo::qpu::encode_qp(graph, p);
    }
  } catch (const calo::Error&) {
  }
  return 0;
}
