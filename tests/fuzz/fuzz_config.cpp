// Fuzz target: the YAML training configuration (host/config.*) and everything calo_train reads
// from it (TrainConfig::from_config: model, training, prior, topology spec, unknown-key check).
#include "host/config.hpp"
#include "host/memory_limit.hpp"
#include "host/nn/train_config.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  calo::set_memory_budget_bytes(uint64_t{256} << 20);
  try {
    const calo::Config cfg =
        calo::Config::load_string(std::string(calo::fuzz::as_text(data, size)), "fuzz.yaml");
    (void)calo::nn::TrainConfig::from_config(cfg);
  } catch (const calo::Error&) {
  }
  return 0;
}
