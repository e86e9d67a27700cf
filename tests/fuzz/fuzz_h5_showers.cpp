// Fuzz target: the HDF5 shower reader's validation (ShowerFileReader: datasets, shapes, types,
// values), driven by mutated CaloChallenge files. libhdf5 parses the file format itself; a crash
// inside libhdf5 is reported in the hardening note with its input.
#include <algorithm>

#include "host/h5io.hpp"
#include "host/memory_limit.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  calo::set_memory_budget_bytes(uint64_t{256} << 20);
  const std::string path = calo::fuzz::write_input("showers.h5", data, size);
  try {
    const calo::ShowerFileReader reader(path);
    const int64_t rows = std::min<int64_t>(reader.num_events(), 64);
    (void)reader.read(0, rows);
    (void)reader.read(reader.num_events() - 1, 1);
    (void)reader.read_energies();
  } catch (const calo::Error&) {
  }
  return 0;
}
