// Tensor::empty hands out uninitialised memory to outputs that are overwritten completely. With
// the test switch Tensor::set_poison_empty every such tensor starts as NaN: a layer that read an
// element before writing it would change the model's results, so a training step (forward,
// backward with the KL terms, Adam), a validation step and both decodes must give the same bits
// poisoned and unpoisoned (CPU), or the same values to rounding (CUDA, whose atomics reorder sums).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "host/backend.hpp"
#include "host/nn/adam.hpp"
#include "host/nn/model.hpp"
#include "host/nn/ops.hpp"
#include "host/tensor.hpp"
#include "host/topology/graph.hpp"
#include "kernels/philox.hpp"
#include "samplers/rbm.hpp"

namespace calo::nn {
namespace {

// Turns the poison on for one scope (and off again even when an assertion returns early).
struct Poisoned {
  explicit Poisoned(bool on) { Tensor::set_poison_empty(on); }
  ~Poisoned() { Tensor::set_poison_empty(false); }
};

TEST(EmptyPoison, EmptyIsNanWhilePoisonedAndZeroTensorsStayZero) {
  const Poisoned on(true);
  const Tensor e = Tensor::empty({3, 5});
  for (float v : e.host_span()) EXPECT_TRUE(std::isnan(v));
  const Tensor z({3, 5});
  for (float v : z.host_span()) EXPECT_EQ(v, 0.0f);
}

// The switch catches what it is for: an op that accumulates into an empty() output instead of
// writing it gives NaN under poison.
TEST(EmptyPoison, RevealsAReadBeforeWrite) {
  const Tensor x = Tensor::from_host({4}, std::vector<float>{1, 2, 3, 4});
  const Poisoned on(true);
  Tensor y = Tensor::empty({4});
  ops::add_inplace(Backend::cpu, y.data(), x.data(), 4);  // wrong: reads y
  for (float v : y.host_span()) EXPECT_TRUE(std::isnan(v));
}

struct Outputs {
  std::vector<std::vector<float>> values;
  std::vector<std::string> names;
  void add(std::string name, std::vector<float> v) {
    names.push_back(std::move(name));
    values.push_back(std::move(v));
  }
  void add(std::string name, double v) { add(std::move(name), std::vector<float>{float(v)}); }
};

Outputs run_model(Backend where, bool poison, bool attention) {
  ModelConfig mc;
  mc.n = 4;
  mc.enc_channels = {2, 3, 4, 4};
  mc.dec_channels = {4, 3, 2};
  mc.seed = 11;
  mc.decoder_attention = attention;
  Calo4pQVAE model(mc);
  model.init_output_bias(6.0f, 0.3f);
  model.to(where);
  Rbm rbm = Rbm::from_graph(parse_topology("zephyr:2,2"), mc.n);
  rbm.init_random(21, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 0.3f);
  const int B = 3;
  std::vector<float> u(size_t(B) * kVoxels);
  for (size_t i = 0; i < u.size(); ++i) {
    const float r = uniform(17, 3, uint64_t(i));
    u[i] = r < 0.4f ? 0.0f : 12.0f * r;
  }
  const std::vector<float> e = {1500.0f, 20000.0f, 300000.0f};
  std::vector<uint8_t> states(size_t(B) * 4 * size_t(mc.n));
  for (size_t i = 0; i < states.size(); ++i) states[i] = uniform(5, 1, i) < 0.5f ? 1 : 0;

  const Poisoned on(poison);
  Outputs out;
  StepSchedule s;
  s.beta = 2.0f;
  s.slope = 0.02f;
  s.seed = 5;
  s.step = 3;
  s.kl_weight = 0.5f;
  const auto params = model.params();
  Adam::zero_grad(params);
  const LossTerms t = model.train_step(Tensor::from_host({B, kVoxels}, u), e, s, true, &rbm);
  for (double v : {t.mse, t.bce, t.entropy, t.pos_energy}) out.add("train loss", v);
  out.add("posterior", model.last_posterior());
  out.add("logits", model.last_logits());
  for (Param* p : params) out.add(p->name + " grad", p->grad.to_vector());
  Adam adam(1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f);
  adam.step(params);
  for (Param* p : params) out.add(p->name + " after Adam", p->value.to_vector());
  for (Buffer& b : model.buffers()) out.add(b.name, b.value->to_vector());
  const LossTerms v = model.train_step(Tensor::from_host({B, kVoxels}, u), e, s, false, &rbm);
  for (double x : {v.mse, v.bce, v.entropy, v.pos_energy}) out.add("validation loss", x);
  out.add("decode", model.decode(states, e, 9, 100).to_vector());
  out.add("decode_heads", model.decode_heads(states, e).to_vector());
  return out;
}

// bitwise: every value's bits equal. Otherwise (CUDA) every poisoned value is finite and all but a
// few per thousand agree to rounding: atomics reorder sums, which can flip a hit draw that sits
// at its threshold.
void expect_same(const Outputs& a, const Outputs& b, bool bitwise) {
  ASSERT_EQ(a.values.size(), b.values.size());
  for (size_t k = 0; k < a.values.size(); ++k) {
    const auto& x = a.values[k];
    const auto& y = b.values[k];
    ASSERT_EQ(x.size(), y.size()) << a.names[k];
    size_t bad = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!bitwise) {
        ASSERT_TRUE(std::isfinite(y[i])) << a.names[k] << "[" << i << "] poisoned";
      }
      const bool same = bitwise ? std::bit_cast<uint32_t>(x[i]) == std::bit_cast<uint32_t>(y[i])
                                : std::fabs(x[i] - y[i]) <= 1e-4f * (1 + std::fabs(x[i]));
      if (!same && bad++ < 3 && bitwise)
        ADD_FAILURE() << a.names[k] << "[" << i << "]: " << x[i] << " unpoisoned, " << y[i]
                      << " poisoned";
    }
    if (!bitwise) {
      EXPECT_LE(bad, x.size() / 500) << a.names[k];
    }
  }
}

TEST(EmptyPoison, ModelStepAndDecodeDoNotReadUnwrittenOutputs) {
  for (bool attention : {false, true}) {
    SCOPED_TRACE(attention ? "with decoder_attention" : "without attention");
    expect_same(run_model(Backend::cpu, false, attention), run_model(Backend::cpu, true, attention),
                true);
  }
}

TEST(EmptyPoison, CudaModelStepAndDecodeDoNotReadUnwrittenOutputs) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (bool attention : {false, true}) {
    SCOPED_TRACE(attention ? "with decoder_attention" : "without attention");
    expect_same(run_model(Backend::cuda, false, attention),
                run_model(Backend::cuda, true, attention), false);
  }
}

}  // namespace
}  // namespace calo::nn
