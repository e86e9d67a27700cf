#pragma once
// Reads a shower file block by block and hands each block to `use` while the next one is being
// read (HDF5 decompression on one thread, the caller's OpenMP work on the others). HDF5 is
// called from one thread at a time only.
#include <algorithm>
#include <cstdint>
#include <future>

#include "host/h5io.hpp"

namespace calo::eval {

template <class Use>
void for_each_block(const ShowerFileReader& reader, int64_t block_rows, Use use) {
  const int64_t n = reader.num_events();
  if (n == 0) return;
  auto read_at = [&](int64_t first, ShowerBlock& b) {
    reader.read(first, std::min(block_rows, n - first), b);
  };
  ShowerBlock current, next;
  read_at(0, current);
  for (int64_t first = 0; first < n; first += block_rows) {
    std::future<void> pending;
    if (first + block_rows < n)
      pending = std::async(std::launch::async, read_at, first + block_rows, std::ref(next));
    try {
      use(static_cast<const ShowerBlock&>(current));
    } catch (...) {
      if (pending.valid()) pending.wait();
      throw;
    }
    if (pending.valid()) {
      pending.get();  // rethrows a read error
      std::swap(current, next);
    }
  }
}

}  // namespace calo::eval
