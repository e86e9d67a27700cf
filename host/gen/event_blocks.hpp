#pragma once
// How a generation job cuts its events among the ranks: blocks of `batch` consecutive events,
// dealt round-robin (block b to rank b % ranks), so rank 0 can write block after block in event
// order while the other ranks generate their next ones, and no rank holds more than one block.
#include <algorithm>
#include <cstdint>

namespace calo::gen {

struct EventBlocks {
  int64_t events = 0;
  int64_t batch = 1;
  int ranks = 1;

  int64_t count() const { return (events + batch - 1) / batch; }
  int64_t first(int64_t block) const { return block * batch; }
  int64_t size(int64_t block) const { return std::min(batch, events - first(block)); }
  int owner(int64_t block) const { return static_cast<int>(block % ranks); }
};

}  // namespace calo::gen
