#include "samplers/device_latents.hpp"

#include "host/error.hpp"

namespace calo {

DeviceLatents DeviceLatents::upload(std::span<const uint8_t> chain_major, int n) {
  if (n < 1) fail("DeviceLatents::upload: nodes per partition must be >= 1, got {}", n);
  const size_t U = 4 * size_t(n);
  if (chain_major.size() % U != 0)
    fail("DeviceLatents::upload: {} values are not whole states of 4 x {} units",
         chain_major.size(), n);
  const size_t C = chain_major.size() / U;
  std::vector<uint8_t> node_major(chain_major.size());
  for (size_t c = 0; c < C; ++c)
    for (size_t i = 0; i < U; ++i) node_major[i * C + c] = chain_major[c * U + i];
  DeviceLatents out;
  out.node_major = DeviceArray<uint8_t>::from_host(node_major);
  out.n = n;
  out.chains = int64_t(C);
  return out;
}

DeviceLatents DeviceLatents::copy_of(const uint8_t* node_major, int n, int64_t chains) {
  DeviceLatents out;
  out.node_major = DeviceArray<uint8_t>(4 * size_t(n) * size_t(chains));
  out.n = n;
  out.chains = chains;
  if (!out.node_major.empty())
    copy_device_to_device(out.node_major.data(), node_major, out.node_major.size());
  return out;
}

std::vector<uint8_t> DeviceLatents::download() const {
  const size_t U = size_t(units()), C = size_t(chains);
  std::vector<uint8_t> node(node_major.size());
  node_major.download(node);
  std::vector<uint8_t> out(node.size());
  for (size_t i = 0; i < U; ++i)
    for (size_t c = 0; c < C; ++c) out[c * U + i] = node[i * C + c];
  return out;
}

}  // namespace calo
