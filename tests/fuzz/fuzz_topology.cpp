// Fuzz target: topology spec strings ("zephyr:6,4", "pegasus:16", "chimera:16,16,4"), as in the
// config's prior.topology and the stand-in's --topology.
#include "host/topology/graph.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const calo::QubitGraph g = calo::parse_topology(std::string(calo::fuzz::as_text(data, size)));
    if (!g.nodes.empty()) (void)g.has_node(g.nodes.back());
  } catch (const calo::Error&) {
  }
  return 0;
}
