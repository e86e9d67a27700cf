// Fuzz target: calo_gen's incident-energy list (generation_energies): the first byte's low bit
// picks a CaloChallenge file (the rest of the input) or --events/--emin/--emax (the next 24
// bytes: int64 events, double emin, double emax).
#include <cstring>

#include "host/gen/generator.hpp"
#include "host/memory_limit.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  calo::set_memory_budget_bytes(uint64_t{256} << 20);
  calo::gen::GenerateOptions o;
  try {
    if (data[0] % 2 == 0) {
      o.energies_path = calo::fuzz::write_input("energies.h5", data + 1, size - 1);
      o.events = data[0] / 2;  // 0: all of them
    } else {
      if (size < 25) return 0;
      std::memcpy(&o.events, data + 1, 8);
      std::memcpy(&o.emin_mev, data + 9, 8);
      std::memcpy(&o.emax_mev, data + 17, 8);
    }
    (void)calo::gen::generation_energies(o);
  } catch (const calo::Error&) {
  }
  return 0;
}
