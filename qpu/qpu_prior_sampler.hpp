#pragma once
// PriorSampler backed by a QPU (or the SAPI stand-in), for calo_gen --backend qpu: one state per
// shower, partition 0 clamped to the shower's energy code by flux biases, one SAPI problem per
// distinct energy code (QpuOptions::per_shower for one per shower, as CaloQVAE does).
#include <memory>

#include "qpu/ising_mapping.hpp"
#include "qpu/qpu_sampler.hpp"
#include "samplers/prior_sampler.hpp"

namespace calo::qpu {

// Plain parameter view of an Rbm (masked weights, biases, qubit labels).
RbmParams rbm_params(const Rbm& rbm);

}  // namespace calo::qpu

namespace calo {

using qpu::QpuOptions;
// Throws InputError when options.num_reads != 1 (the prior returns one state per shower).
std::unique_ptr<PriorSampler> make_qpu_prior_sampler(const QpuOptions& options);

}  // namespace calo
