#pragma once
// Inputs declare their sizes (an HDF5 dataspace, a checkpoint array header, --events, a topology
// shape) before any data is read. Readers check the memory those sizes need against a budget and
// fail early with an InputError that names the input, instead of dying in the allocator.
#include <cstdint>
#include <string_view>

namespace calo {

// The machine's physical memory, unless CALO_MEMORY_LIMIT_MB or set_memory_budget_bytes() says
// less.
uint64_t memory_budget_bytes();
// Tests and fuzz targets lower the budget (0 restores the default).
void set_memory_budget_bytes(uint64_t bytes);

// Throws InputError "<what> needs 12.3 GiB of memory but ... has 8 GiB" when `bytes` exceed the
// budget. `bytes` is a double so that products of declared sizes cannot overflow.
void require_memory(double bytes, std::string_view what);

}  // namespace calo
