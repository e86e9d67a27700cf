#pragma once
// A batch of latent states left on the device: what the prior hands the CUDA generator, so a
// block's states need not come to the host and go up again (kernels/gen/latent_rows.cu turns them
// into the decoder's rows there). Layout of BlockGibbsSampler's device states: node-major, 4n x
// chains uint8, chain c = the batch's state c, partition 0 the energy code.
#include <cstdint>
#include <span>
#include <vector>

#include "host/device_memory.hpp"

namespace calo {

struct DeviceLatents {
  DeviceArray<uint8_t> node_major;  // units() x chains
  int n = 0;                        // units per partition
  int64_t chains = 0;

  int units() const { return 4 * n; }
  // Chain-major states (chains x 4n, the PriorSampler::sample layout) transposed and uploaded.
  static DeviceLatents upload(std::span<const uint8_t> chain_major, int n);
  // A copy, on the device, of device states (units x chains bytes at node_major).
  static DeviceLatents copy_of(const uint8_t* node_major, int n, int64_t chains);
  // Downloaded and transposed back to chains x 4n.
  std::vector<uint8_t> download() const;
};

}  // namespace calo
