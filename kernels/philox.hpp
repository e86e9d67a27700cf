#pragma once
// Counter-based random numbers (Philox4x32-10, Salmon et al. SC'11, via Debian's Random123).
// A draw is a pure function of (seed, stream, index): CPU and GPU produce identical streams, and
// any thread can jump to any position without shared state. Conventions used across calo4pq:
//   key     = seed (64 bit)
//   counter = (index lo, index hi, stream lo, stream hi)
// One counter yields four 32-bit words; use uniform4() when four draws are needed together.
#include <Random123/philox.h>

#include <cstdint>

#include "kernels/hd.hpp"

namespace calo {

struct Philox4 {
  uint32_t v[4];
};

// Raw Philox4x32-10 block: counter c[0..3], key k[0..1].
CALO_HD_INLINE Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                                     uint32_t k0, uint32_t k1) {
  r123::Philox4x32_R<10> gen;
  r123::Philox4x32_R<10>::ctr_type ctr = {{c0, c1, c2, c3}};
  r123::Philox4x32_R<10>::key_type key = {{k0, k1}};
  const auto out = gen(ctr, key);
  return Philox4{{out.v[0], out.v[1], out.v[2], out.v[3]}};
}

CALO_HD_INLINE Philox4 philox_block(uint64_t seed, uint64_t stream, uint64_t index) {
  return philox4x32_10(static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32),
                       static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32),
                       static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// Maps 32 random bits to a float in the open interval (0, 1): (x + 0.5) * 2^-32, computed in
// double then rounded, so 0 and 1 never occur and log(u), log(1-u) are always finite.
CALO_HD_INLINE float u32_to_open01(uint32_t x) {
  const float u = static_cast<float>((static_cast<double>(x) + 0.5) * 2.3283064365386963e-10);
  // Rounding to float can reach 1.0f for x near 2^32; keep strictly below 1.
  return u < 1.0f ? u : 0.99999994f;
}

CALO_HD_INLINE double u32_to_open01_double(uint32_t hi, uint32_t lo) {
  // 52 random bits, offset by half a step: (bits + 0.5) 2^-52 is exact and lies strictly inside
  // (0, 1) (with 53 bits the largest value would round up to 1.0).
  const uint64_t bits =
      ((static_cast<uint64_t>(hi) << 20) | (static_cast<uint64_t>(lo) >> 12)) & ((1ull << 52) - 1);
  return (static_cast<double>(bits) + 0.5) * 2.220446049250313e-16;
}

struct Uniform4 {
  float u[4];
};

// Four independent U(0,1) floats at position `index` of stream `stream`.
CALO_HD_INLINE Uniform4 uniform4(uint64_t seed, uint64_t stream, uint64_t index) {
  const Philox4 b = philox_block(seed, stream, index);
  return Uniform4{
      {u32_to_open01(b.v[0]), u32_to_open01(b.v[1]), u32_to_open01(b.v[2]), u32_to_open01(b.v[3])}};
}

// One U(0,1) float: element `index` of stream `stream`, i.e. lane index % 4 of block index / 4.
CALO_HD_INLINE float uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  const Philox4 b = philox_block(seed, stream, index >> 2);
  return u32_to_open01(b.v[index & 3u]);
}

// Two U(0,1) doubles at position `index` (uses one Philox block).
struct Uniform2d {
  double u[2];
};
CALO_HD_INLINE Uniform2d uniform2_double(uint64_t seed, uint64_t stream, uint64_t index) {
  const Philox4 b = philox_block(seed, stream, index);
  return Uniform2d{{u32_to_open01_double(b.v[0], b.v[1]), u32_to_open01_double(b.v[2], b.v[3])}};
}

// Philox4x32-10 on L independent counters at once (same key), written as plain loops over lanes so
// the compiler turns them into SIMD instructions: lanes outermost with the rounds unrolled inside
// (straight-line code), words held in 64-bit lanes so each 32x32->64 product is one vector
// multiply (upper halves carry garbage that the next multiply masks off). Bit-identical to
// philox4x32_10 (Random123) lane by lane; the CPU Gibbs sweep draws its uniforms with it, the
// CUDA kernels draw the same words one block per thread.
template <int L>
inline void philox4x32_10_lanes(uint32_t (&c0)[L], uint32_t (&c1)[L], uint32_t (&c2)[L],
                                uint32_t (&c3)[L], uint32_t k0, uint32_t k1) {
  constexpr uint64_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // Philox4x32 multipliers
  constexpr uint64_t kLo = 0xFFFFFFFFu;
  for (int l = 0; l < L; ++l) {
    uint64_t a0 = c0[l], a1 = c1[l], a2 = c2[l], a3 = c3[l];
    uint64_t r0 = k0, r1 = k1;
#if !defined(__CUDACC__)  // host-only function; nvcc's front end rejects GCC pragmas
#pragma GCC unroll 10
#endif
    for (int round = 0; round < 10; ++round) {
      const uint64_t p0 = (a0 & kLo) * kM0, p1 = (a2 & kLo) * kM1;
      const uint64_t n0 = (p1 >> 32) ^ a1 ^ r0;
      const uint64_t n2 = (p0 >> 32) ^ a3 ^ r1;
      a1 = p1;
      a3 = p0;
      a0 = n0;
      a2 = n2;
      r0 = (r0 + 0x9E3779B9u) & kLo;  // Weyl key schedule
      r1 = (r1 + 0xBB67AE85u) & kLo;
    }
    c0[l] = static_cast<uint32_t>(a0);
    c1[l] = static_cast<uint32_t>(a1);
    c2[l] = static_cast<uint32_t>(a2);
    c3[l] = static_cast<uint32_t>(a3);
  }
}

// philox_block(seed, stream, block[l]) for L lanes at once: the four words of lane l in w0..w3[l].
template <int L>
inline void philox_block_lanes(uint64_t seed, uint64_t stream, const uint64_t (&block)[L],
                               uint32_t (&w0)[L], uint32_t (&w1)[L], uint32_t (&w2)[L],
                               uint32_t (&w3)[L]) {
  for (int l = 0; l < L; ++l) {
    w0[l] = static_cast<uint32_t>(block[l]);
    w1[l] = static_cast<uint32_t>(block[l] >> 32);
    w2[l] = static_cast<uint32_t>(stream);
    w3[l] = static_cast<uint32_t>(stream >> 32);
  }
  philox4x32_10_lanes<L>(w0, w1, w2, w3, static_cast<uint32_t>(seed),
                         static_cast<uint32_t>(seed >> 32));
}

// A sequential generator over one stream, for host code that wants "the next number" (data
// synthesis, shuffling). It is a thin cursor over the same pure function, so a CUDA thread can
// reproduce any part of it by index.
class PhiloxCursor {
 public:
  CALO_HD PhiloxCursor(uint64_t seed, uint64_t stream, uint64_t start_block = 0)
      : seed_(seed), stream_(stream), block_(start_block) {}

  CALO_HD_INLINE uint32_t next_u32() {
    if (lane_ == 4) {
      cache_ = philox_block(seed_, stream_, block_++);
      lane_ = 0;
    }
    return cache_.v[lane_++];
  }
  CALO_HD_INLINE float next_uniform() { return u32_to_open01(next_u32()); }
  CALO_HD_INLINE double next_uniform_double() {
    const uint32_t hi = next_u32();
    const uint32_t lo = next_u32();
    return u32_to_open01_double(hi, lo);
  }
  CALO_HD_INLINE uint64_t blocks_used() const { return block_; }

 private:
  uint64_t seed_;
  uint64_t stream_;
  uint64_t block_;
  Philox4 cache_{{0, 0, 0, 0}};
  uint32_t lane_ = 4;
};

}  // namespace calo
