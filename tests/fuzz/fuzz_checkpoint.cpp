// Fuzz target: checkpoint files. First byte even: params.bin (named arrays) read back and loaded
// as the RBM prior of a small zephyr graph; odd: state.json parsed and checked as a resume
// (epochs 3, 5 batches per epoch).
#include "host/memory_limit.hpp"
#include "host/nn/checkpoint.hpp"
#include "host/nn/trainer.hpp"
#include "host/topology/graph.hpp"
#include "samplers/rbm.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  calo::set_memory_budget_bytes(uint64_t{256} << 20);
  try {
    if (data[0] % 2 == 0) {
      const std::string path = calo::fuzz::write_input("params.bin", data + 1, size - 1);
      const calo::nn::NamedArrays arrays = calo::nn::read_named_arrays(path);
      static const calo::QubitGraph graph = calo::zephyr_graph(1, 2);
      (void)calo::Rbm::from_named_arrays(graph, arrays);
    } else {
      const auto j = nlohmann::json::parse(calo::fuzz::as_text(data + 1, size - 1), nullptr, false);
      if (j.is_discarded()) return 0;
      (void)calo::nn::parse_resume_state(j, 3, 5, "fuzz/state.json");
    }
  } catch (const calo::Error&) {
  }
  return 0;
}
