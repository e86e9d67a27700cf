#include "host/nn/model.hpp"

#include <fmt/format.h>

#include "host/error.hpp"
#include "host/nn/activations.hpp"
#include "host/nn/attention.hpp"
#include "host/nn/conv_transpose3d.hpp"
#include "host/nn/gumbel.hpp"
#include "host/nn/losses.hpp"
#include "host/nn/norm.hpp"
#include "host/nn/shape_ops.hpp"
#include "kernels/transform.hpp"

namespace calo::nn {
namespace {

constexpr int kDecD = 11, kDecH = 4, kDecW = 3;  // decoder seed grid, upsampled to (45, 16, 9)
constexpr uint64_t kGumbelStream = 1000;
constexpr uint64_t kDecodeStream = 2000;

Tensor host_sum(const Tensor& a, const Tensor& b) {
  Tensor ah = a.to(Backend::cpu);
  const Tensor bh = b.to(Backend::cpu);
  auto x = ah.host_span();
  auto y = bh.host_span();
  for (size_t i = 0; i < x.size(); ++i) x[i] += y[i];
  return ah.to(a.backend());
}

}  // namespace

ModelConfig ModelConfig::from_config(const ConfigNode& node) {
  ModelConfig c;
  c.n = node.get<int>("nodes_per_partition");
  c.enc_channels = node.get<int>("encoder_channels");
  c.dec_channels = node.get<int>("decoder_channels");
  c.seed = node.get<int>("init_seed", 1);
  c.mse_coefficient = static_cast<float>(node.get<double>("mse_coefficient", 0.01));
  c.mse_exp_weight = static_cast<float>(node.get<double>("mse_exp_weight", 0.5));
  c.decoder_attention = node.get<bool>("decoder_attention", false);
  if (c.n < 1 || c.n > 4096)
    fail_input("{}: must be in 1..4096, got {}", node.where("nodes_per_partition"), c.n);
  if (c.enc_channels < 1 || c.enc_channels > 1024)
    fail_input("{}: must be in 1..1024, got {}", node.where("encoder_channels"), c.enc_channels);
  if (c.dec_channels < 1 || c.dec_channels > 1024)
    fail_input("{}: must be in 1..1024, got {}", node.where("decoder_channels"), c.dec_channels);
  return c;
}

Tensor energy_column(std::span<const float> energies, Backend where) {
  std::vector<float> v(energies.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!(energies[i] > 0.0f))
      fail_input("incident energy of row {} is {} MeV; energies must be positive", i, energies[i]);
    v[i] = log_energy_scalar(energies[i]);
  }
  return Tensor::from_host({static_cast<int64_t>(v.size()), 1}, v).to(where);
}

Calo4pQVAE::Calo4pQVAE(const ModelConfig& config) : cfg_(config) {
  const int C = cfg_.enc_channels, n = cfg_.n;
  const uint64_t s = static_cast<uint64_t>(cfg_.seed) * 1000;
  for (int k = 0; k < 3; ++k) {
    const std::string p = fmt::format("encoder.level{}", k);
    auto seq = std::make_unique<Sequential>(p);
    auto& c0 = seq->emplace<Conv3d>(2, C, Dims3{3, 3, 3}, Dims3{2, 2, 1}, Padding3d::cylindrical,
                                    true, s + 10 * k + 1, p + ".conv0");
    seq->emplace<LeakyReLU>(0.02f, p + ".act0");
    auto& c1 = seq->emplace<Conv3d>(C, C, Dims3{3, 3, 3}, Dims3{2, 2, 2}, Padding3d::cylindrical,
                                    true, s + 10 * k + 2, p + ".conv1");
    seq->emplace<LeakyReLU>(0.02f, p + ".act1");
    seq->emplace<Flatten>(p + ".flatten");
    const Shape out = c1.output_shape(c0.output_shape({1, 2, kLayers, kAlpha, kRadii}));
    enc_features_ = shape_numel(out);
    enc_conv_.push_back(std::move(seq));
    enc_head_.push_back(std::make_unique<Linear>(static_cast<int>(enc_features_) + k * n, n,
                                                 s + 10 * k + 3, true, p + ".head"));
  }
  const int D = cfg_.dec_channels;
  dec_body_ = std::make_unique<Sequential>("decoder");
  dec_body_->emplace<Linear>(4 * n + 1, D * kDecD * kDecH * kDecW, s + 101, true, "decoder.fc");
  dec_body_->emplace<LeakyReLU>(0.02f, "decoder.act_fc");
  dec_body_->emplace<Reshape>(Shape{D, kDecD, kDecH, kDecW}, "decoder.reshape");
  // (11,4,3) -> (22,8,5) -> (45,16,9)
  dec_body_->emplace<ConvTranspose3d>(D, D, Dims3{2, 2, 3}, Dims3{2, 2, 1}, s + 102, true,
                                      "decoder.up0");
  dec_body_->emplace<LeakyReLU>(0.02f, "decoder.act_up0");
  dec_body_->emplace<ConvTranspose3d>(D, D, Dims3{3, 2, 5}, Dims3{2, 2, 1}, s + 103, true,
                                      "decoder.up1");
  dec_body_->emplace<LeakyReLU>(0.02f, "decoder.act_up1");
  if (!cfg_.decoder_attention) {
    dec_head_ = std::make_unique<Conv3d>(D + 1, 2, Dims3{1, 1, 1}, Dims3{1, 1, 1}, Padding3d::none,
                                         true, s + 104, "decoder.head");
    return;
  }
  // Energy branch as the reference's energy head: GroupNorm(1,C) -> SiLU -> LinearAttention(C).
  dec_energy_ = std::make_unique<Sequential>("decoder.energy");
  dec_energy_->emplace<GroupNorm1>(D, 1e-5f, "decoder.energy.norm");
  dec_energy_->emplace<SiLU>("decoder.energy.act");
  dec_energy_->emplace<LinearAttention>(D, s + 105, "decoder.energy.attention");
  dec_act_head_ = std::make_unique<Conv3d>(D + 1, 1, Dims3{1, 1, 1}, Dims3{1, 1, 1},
                                           Padding3d::none, true, s + 107, "decoder.act_head");
  dec_hit_head_ = std::make_unique<Conv3d>(D + 1, 1, Dims3{1, 1, 1}, Dims3{1, 1, 1},
                                           Padding3d::none, true, s + 108, "decoder.hit_head");
}

std::vector<Param*> Calo4pQVAE::params() {
  std::vector<Param*> out;
  for (int k = 0; k < 3; ++k) {
    for (Param* p : enc_conv_[size_t(k)]->params()) out.push_back(p);
    for (Param* p : enc_head_[size_t(k)]->params()) out.push_back(p);
  }
  for (Param* p : dec_body_->params()) out.push_back(p);
  if (dec_head_) {
    for (Param* p : dec_head_->params()) out.push_back(p);
  } else {
    for (Param* p : dec_energy_->params()) out.push_back(p);
    for (Param* p : dec_act_head_->params()) out.push_back(p);
    for (Param* p : dec_hit_head_->params()) out.push_back(p);
  }
  return out;
}

std::vector<Buffer> Calo4pQVAE::buffers() {
  std::vector<Buffer> out;
  for (auto& s : enc_conv_)
    for (Buffer& b : s->buffers()) out.push_back(b);
  for (Buffer& b : dec_body_->buffers()) out.push_back(b);
  if (dec_energy_)
    for (Buffer& b : dec_energy_->buffers()) out.push_back(b);
  return out;
}

void Calo4pQVAE::to(Backend where) {
  for (auto& s : enc_conv_) s->to(where);
  for (auto& h : enc_head_) h->to(where);
  dec_body_->to(where);
  if (dec_head_) dec_head_->to(where);
  if (dec_energy_) {
    dec_energy_->to(where);
    dec_act_head_->to(where);
    dec_hit_head_->to(where);
  }
  backend_ = where;
}

Tensor Calo4pQVAE::decoder_input(const Tensor& latent13, std::span<const float> energies) {
  const int n = cfg_.n;
  const int64_t B = static_cast<int64_t>(energies.size());
  std::vector<float> code(static_cast<size_t>(B * n));
  std::vector<uint8_t> bits(static_cast<size_t>(n));
  for (int64_t b = 0; b < B; ++b) {
    energy_code(static_cast<double>(energies[size_t(b)]), n, bits.data());
    for (int i = 0; i < n; ++i) code[size_t(b * n + i)] = bits[size_t(i)];
  }
  const Tensor c = Tensor::from_host({B, n}, code).to(backend_);
  const Tensor le = energy_column(energies, backend_);
  return concat_channels(concat_channels(c, latent13), le);
}

Tensor Calo4pQVAE::run_decoder(const Tensor& zin, const Tensor& le, bool training) {
  const Tensor body = dec_body_->forward(zin, training);
  if (dec_head_) return dec_head_->forward(append_energy_channel(body, le), training);
  const Tensor hits = dec_hit_head_->forward(append_energy_channel(body, le), training);
  const Tensor energy = dec_energy_->forward(body, training);
  const Tensor acts = dec_act_head_->forward(append_energy_channel(energy, le), training);
  return concat_channels(acts, hits);
}

Tensor Calo4pQVAE::decoder_backward(const Tensor& grad_out) {
  if (dec_head_) {
    const Tensor g = dec_head_->backward(grad_out);
    auto [gbody, ge] = append_energy_channel_backward(g);
    return dec_body_->backward(gbody);
  }
  auto [gacts, ghits] = split_channels(grad_out, 1);
  auto [gbody_hit, ge1] = append_energy_channel_backward(dec_hit_head_->backward(ghits));
  auto [genergy, ge2] = append_energy_channel_backward(dec_act_head_->backward(gacts));
  const Tensor gbody_energy = dec_energy_->backward(genergy);
  return dec_body_->backward(host_sum(gbody_hit, gbody_energy));
}

LossTerms Calo4pQVAE::train_step(const Tensor& u, std::span<const float> energies,
                                 const StepSchedule& sch, bool training, const Rbm* prior,
                                 bool backprop) {
  const int n = cfg_.n;
  const int64_t B = static_cast<int64_t>(energies.size());
  if (u.numel() != B * kVoxels)
    fail_input("model input has {} values, expected {} showers x {} voxels", u.numel(), B, kVoxels);
  Tensor u5 = u.to(backend_);
  u5.reshape({B, 1, kLayers, kAlpha, kRadii});
  const Tensor le = energy_column(energies, backend_);
  const Tensor x = append_energy_channel(u5, le);

  if (prior && prior->n() != n)
    fail_input("model has {} nodes per partition but the RBM prior has {}", n, prior->n());
  std::vector<Tensor> zeta;
  std::vector<std::vector<float>> level_logits;
  const uint64_t offset = sch.step * static_cast<uint64_t>(B * n);
  for (int k = 0; k < 3; ++k) {
    Tensor feat = enc_conv_[size_t(k)]->forward(x, training);
    Tensor in;
    if (k == 0)
      in = std::move(feat);
    else if (k == 1)
      in = concat_channels(feat, zeta[0]);
    else
      in = concat_channels(feat, concat_channels(zeta[0], zeta[1]));
    const Tensor logits = enc_head_[size_t(k)]->forward(in, training);
    if (prior) level_logits.push_back(logits.to_vector());
    zeta.push_back(
        gumbel_sigmoid_forward(logits, sch.beta, training, sch.seed, kGumbelStream + k, offset));
  }
  const Tensor latent13 = concat_channels(concat_channels(zeta[0], zeta[1]), zeta[2]);
  posterior_ = latent13.to_vector();

  const Tensor out = run_decoder(decoder_input(latent13, energies), le, training);
  auto [acts, hits] = split_channels(out, 1);
  Tensor target = u5.to(Backend::cpu);
  for (float& t : target.host_span()) t = t > 0.0f ? 1.0f : 0.0f;
  target = target.to(backend_);
  const Tensor uhat = combine_train(acts, u5, sch.slope);
  LossResult mse = weighted_mse_u(u5, uhat, cfg_.mse_coefficient, cfg_.mse_exp_weight);
  LossResult bce = bce_with_logits(hits, target);
  LossTerms terms;
  terms.mse = mse.value;
  terms.bce = bce.value;
  terms.kl_weight = sch.kl_weight;
  const bool grads = training && backprop;
  KlResult kl;
  if (prior) {
    std::vector<float> code(static_cast<size_t>(B * n)), logits13(static_cast<size_t>(B * 3 * n));
    std::vector<uint8_t> bits(static_cast<size_t>(n));
    for (int64_t b = 0; b < B; ++b) {
      energy_code(static_cast<double>(energies[size_t(b)]), n, bits.data());
      for (int i = 0; i < n; ++i) code[size_t(b * n + i)] = bits[size_t(i)];
      for (int k = 0; k < 3; ++k)
        std::copy_n(level_logits[size_t(k)].data() + b * n, n, logits13.data() + (b * 3 + k) * n);
    }
    kl = kl_terms(*prior, code, logits13, posterior_, B, grads && sch.kl_weight != 0.0f,
                  sch.kl_weight);
    terms.entropy = kl.entropy;
    terms.pos_energy = kl.pos_energy;
  }
  if (!grads) return terms;

  const Tensor gacts = combine_train_backward(mse.grad, acts, u5, sch.slope);
  const Tensor gzin = decoder_backward(concat_channels(gacts, bce.grad));
  auto [gcode, grest] = split_channels(gzin, n);
  auto [glat, gle] = split_channels(grest, 3 * n);
  auto [g0, g12] = split_channels(glat, n);
  auto [g1, g2] = split_channels(g12, n);
  std::vector<Tensor> gz;
  gz.push_back(std::move(g0));
  gz.push_back(std::move(g1));
  gz.push_back(std::move(g2));
  // KL gradient (entropy + pos_energy) w.r.t. the latents and, at fixed latents, the logits.
  std::vector<Tensor> gkl_logits(3);
  if (!kl.grad_z.empty()) {
    std::vector<float> gzk(static_cast<size_t>(B * n)), glk(static_cast<size_t>(B * n));
    for (int k = 0; k < 3; ++k) {
      for (int64_t b = 0; b < B; ++b) {
        std::copy_n(kl.grad_z.data() + (b * 3 + k) * n, n, gzk.data() + b * n);
        std::copy_n(kl.grad_logits.data() + (b * 3 + k) * n, n, glk.data() + b * n);
      }
      gz[size_t(k)] = host_sum(gz[size_t(k)], Tensor::from_host({B, n}, gzk).to(backend_));
      gkl_logits[size_t(k)] = Tensor::from_host({B, n}, glk).to(backend_);
    }
  }
  for (int k = 2; k >= 0; --k) {
    Tensor gl = gumbel_sigmoid_backward(gz[size_t(k)], zeta[size_t(k)], sch.beta);
    if (!kl.grad_z.empty()) gl = host_sum(gl, gkl_logits[size_t(k)]);
    const Tensor gin = enc_head_[size_t(k)]->backward(gl);
    auto [gfeat, gprev] = split_channels(gin, enc_features_);
    enc_conv_[size_t(k)]->backward(gfeat);
    if (k == 2) {
      auto [p0, p1] = split_channels(gprev, n);
      gz[0] = host_sum(gz[0], p0);
      gz[1] = host_sum(gz[1], p1);
    } else if (k == 1) {
      gz[0] = host_sum(gz[0], gprev);
    }
  }
  return terms;
}

Tensor Calo4pQVAE::decode(std::span<const uint8_t> states, std::span<const float> energies,
                          uint64_t seed, uint64_t offset) {
  const int n = cfg_.n;
  const int64_t B = static_cast<int64_t>(energies.size());
  if (static_cast<int64_t>(states.size()) != B * 4 * n)
    fail_input("decode: {} latent values for {} showers, expected {} (4 x {} nodes each)",
               states.size(), B, B * 4 * n, n);
  std::vector<float> lat(static_cast<size_t>(B * 3 * n));
  for (int64_t b = 0; b < B; ++b)
    for (int i = 0; i < 3 * n; ++i) lat[size_t(b * 3 * n + i)] = states[size_t(b * 4 * n + n + i)];
  const Tensor latent13 = Tensor::from_host({B, 3 * n}, lat).to(backend_);
  const Tensor le = energy_column(energies, backend_);
  const Tensor out = run_decoder(decoder_input(latent13, energies), le, false);
  auto [acts, hits] = split_channels(out, 1);
  Tensor u = combine_eval(acts, hits, seed, kDecodeStream, offset);
  u.reshape({B, kVoxels});
  return u;
}

}  // namespace calo::nn
