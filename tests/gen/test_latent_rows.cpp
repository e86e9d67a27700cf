// The decoder's latent rows built from a generation block's chains
// (kernels/gen/latent_rows_math.hpp) against the host code they replace on CUDA: the generator's
// chunk padding (rows outside the block copy the nearest block row) and
// Calo4pQVAE::states_decoder_input's rows (LatentLayout: the energy code, then the free units). The
// CUDA kernel against the host loop (skips without a device).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "host/device_memory.hpp"
#include "host/latent_layout.hpp"
#include "kernels/cuda_info.hpp"
#include "kernels/gen/latent_rows_launch.hpp"
#include "kernels/gen/latent_rows_math.hpp"
#include "kernels/philox.hpp"

namespace calo {
namespace {

constexpr int kN = 64;  // a full 60-bit energy code in partition 0
constexpr int kUnits = 4 * kN;

// A block of `count` events from job event `first`: their energies and their states as the prior
// leaves them (chain-major count x 4n, partition 0 the energy code, free units random).
struct Block {
  int64_t first, count;
  std::vector<float> energies;  // of the whole job, events 0 .. first + count - 1
  std::vector<uint8_t> states;  // chain-major
  Block(int64_t f, int64_t c) : first(f), count(c) {
    const LatentLayout layout(kN);
    energies.resize(size_t(first + count));
    for (size_t i = 0; i < energies.size(); ++i)
      energies[i] = float(1e3 * (1.0 + 999.0 * uniform(5, 1, i)));
    states.resize(size_t(count) * kUnits);
    for (int64_t j = 0; j < count; ++j) {
      layout.encode(double(energies[size_t(first + j)]), states.data() + j * kUnits);
      for (int k = kN; k < kUnits; ++k)
        states[size_t(j * kUnits + k)] = uniform(5, 2, uint64_t(j * kUnits + k)) < 0.5f ? 1 : 0;
    }
  }
  std::vector<uint8_t> node_major() const {
    std::vector<uint8_t> z(states.size());
    for (int64_t j = 0; j < count; ++j)
      for (int k = 0; k < kUnits; ++k)
        z[size_t(k) * size_t(count) + size_t(j)] = states[size_t(j * kUnits + k)];
    return z;
  }
};

// The generator's chunks of a block: f(c0, lo, hi) for every aligned chunk [c0, c0 + chunk) that
// overlaps [first, first + count), [lo, hi) the overlap (host/gen/generator.cpp for_each_chunk).
template <class F>
void for_each_chunk(int64_t first, int64_t count, int64_t chunk, F&& f) {
  for (int64_t c0 = first / chunk * chunk; c0 < first + count; c0 += chunk)
    f(c0, std::max(first, c0), std::min(first + count, c0 + chunk));
}

// What the host path decodes for one chunk: the generator's padded states and energies (as the
// generator wrote them before the row function), then states_decoder_input's rows: the code of
// each row's energy and the free units of its state.
std::vector<float> host_rows(const Block& b, int64_t c0, int64_t chunk, int64_t lo, int64_t hi) {
  std::vector<uint8_t> zc(size_t(chunk) * kUnits);
  std::vector<float> ec(static_cast<size_t>(chunk));
  for (int64_t i = c0; i < c0 + chunk; ++i) {
    const int64_t src = std::clamp(i, lo, hi - 1) - b.first;
    std::copy_n(b.states.begin() + src * kUnits, kUnits, zc.begin() + (i - c0) * kUnits);
    ec[size_t(i - c0)] = b.energies[size_t(b.first + src)];
  }
  const LatentLayout layout(kN);
  const std::vector<float> code = layout.float_codes(ec), free = layout.free_part(zc);
  std::vector<float> rows(size_t(chunk) * kUnits);
  for (int64_t r = 0; r < chunk; ++r) {
    std::copy_n(code.begin() + r * kN, kN, rows.begin() + r * kUnits);
    std::copy_n(free.begin() + r * 3 * kN, 3 * kN, rows.begin() + r * kUnits + kN);
  }
  return rows;
}

struct Shape {
  int64_t first, count, chunk;
};
// Blocks at and away from 0, chunk-aligned or not, one row, blocks spanning several chunks, and
// blocks smaller than a chunk on either side of it.
const Shape kShapes[] = {{0, 70, 64},     {70, 70, 64}, {140, 10, 64}, {3, 1, 64},  {0, 64, 64},
                         {250, 300, 256}, {0, 48, 256}, {20, 20, 256}, {17, 23, 5}, {1000, 7, 8}};

TEST(LatentRows, EqualTheGeneratorsPaddedStatesAsTheDecoderReadsThem) {
  int chunks = 0;
  for (const Shape s : kShapes) {
    const Block b(s.first, s.count);
    const std::vector<uint8_t> z = b.node_major();
    for_each_chunk(s.first, s.count, s.chunk, [&](int64_t c0, int64_t lo, int64_t hi) {
      std::vector<float> got(size_t(s.chunk) * kUnits, -1.0f);
      latent_rows_host(z.data(), s.count, kUnits, c0, s.chunk, lo, hi, s.first, got.data());
      EXPECT_EQ(got, host_rows(b, c0, s.chunk, lo, hi))
          << "block " << s.first << "+" << s.count << ", chunk " << c0 << "+" << s.chunk;
      for (int64_t r = 0; r < s.chunk; ++r)  // the chunk's energies follow the same rows
        EXPECT_EQ(chunk_row_chain(c0, r, lo, hi, s.first),
                  std::clamp(c0 + r, lo, hi - 1) - s.first);
      ++chunks;
    });
  }
  EXPECT_EQ(chunks, 2 + 2 + 1 + 1 + 1 + 3 + 1 + 1 + 5 + 1);
}

TEST(LatentRows, CudaKernelEqualsTheHostRows) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (const Shape s : kShapes) {
    const Block b(s.first, s.count);
    const std::vector<uint8_t> z = b.node_major();
    const DeviceArray<uint8_t> dz = DeviceArray<uint8_t>::from_host(z);
    for_each_chunk(s.first, s.count, s.chunk, [&](int64_t c0, int64_t lo, int64_t hi) {
      std::vector<float> want(size_t(s.chunk) * kUnits), got(want.size());
      latent_rows_host(z.data(), s.count, kUnits, c0, s.chunk, lo, hi, s.first, want.data());
      DeviceArray<float> rows(want.size());
      latent_rows_cuda(dz.data(), s.count, kUnits, c0, s.chunk, lo, hi, s.first, rows.data());
      rows.download(got);
      EXPECT_EQ(got, want) << "block " << s.first << "+" << s.count << ", chunk " << c0;
    });
  }
}

}  // namespace
}  // namespace calo
