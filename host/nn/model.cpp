#include "host/nn/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include <omp.h>

#include "host/error.hpp"
#include "host/latent_layout.hpp"
#include "host/nn/activations.hpp"
#include "host/nn/attention.hpp"
#include "host/nn/conv_transpose3d.hpp"
#include "host/nn/gumbel.hpp"
#include "host/nn/losses.hpp"
#include "host/nn/norm.hpp"
#include "host/nn/ops.hpp"
#include "host/nn/shape_ops.hpp"
#include "kernels/transform.hpp"

namespace calo::nn {
namespace {

constexpr uint64_t kGumbelStream = 1000;
constexpr uint64_t kDecodeStream = 2000;
// The CPU decoder's first Linear runs over slices of this many showers (its weights, 495 MB at the
// dataset2_zephyr size, are read once per slice), the convolutions over micro-slices whose largest
// activation fits in about this many bytes, so they stay in cache and allocations are reused.
constexpr int64_t kDecodeSlice = 256;
constexpr int64_t kMicroSliceBytes = int64_t{8} << 20;
constexpr int kSeedD = 10, kSeedH = 4, kSeedW = 5;  // the decoder's seed grid after its Linear
// The trunk's first layer after Linear, Reshape, BatchNorm and PReLU: its ConvT, where the CPU
// inference tail (host/nn/decoder_tail_cpu.hpp) takes over.
constexpr size_t kTailFirst = 4;

// a + b on their backend (the gradients of a tensor read by two branches).
Tensor sum(Tensor a, const Tensor& b) {
  if (a.shape() != b.shape() || a.backend() != b.backend())
    fail("model: summing gradients {} and {} of different shapes or backends",
         shape_string(a.shape()), shape_string(b.shape()));
  ops::add_inplace(a.backend(), a.data(), b.data(), a.numel());
  return a;
}

}  // namespace

namespace {
// `key: c` (a base width: the reference's ratios, scaled) or `key: [c0, c1, ...]`.
std::vector<int> read_channels(const ConfigNode& node, const char* key, size_t count,
                               const std::vector<int>& scale) {
  std::vector<int> v;
  try {
    v = node.get<std::vector<int>>(key);
  } catch (const InputError&) {
    const int c = node.get<int>(key);
    if (c < 1 || c > 4096)  // checked before scaling: c * s must not overflow
      fail_input("{}: channel counts must be in 1..4096, got {}", node.where(key), c);
    for (int s : scale) v.push_back(c * s);
  }
  if (v.size() != count)
    fail_input("{}: needs {} channel counts, got {}", node.where(key), count, v.size());
  for (int c : v)
    if (c < 1 || c > 4096)
      fail_input("{}: channel counts must be in 1..4096, got {}", node.where(key), c);
  return v;
}

// t *= s (a shard's loss gradient rescaled to the global batch; host round trip on the GPU,
// which only a multi-rank CUDA run takes).
void scale_in_place(Tensor& t, float s) {
  if (t.backend() == Backend::cpu) {
    float* p = t.data();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] *= s;
    return;
  }
  std::vector<float> h = t.to_vector();
  for (float& v : h) v *= s;
  t = Tensor::from_host(t.shape(), h).to(t.backend());
}
}  // namespace

ModelConfig ModelConfig::from_config(const ConfigNode& node) {
  ModelConfig c;
  c.n = node.get<int>("nodes_per_partition");
  c.enc_channels = read_channels(node, "encoder_channels", 4, {1, 2, 4, 8});
  c.dec_channels = read_channels(node, "decoder_channels", 3, {4, 2, 1});
  c.seed = node.get<int>("init_seed", 1);
  c.mse_coefficient = static_cast<float>(node.get<double>("mse_coefficient", 0.01));
  c.mse_exp_weight = static_cast<float>(node.get<double>("mse_exp_weight", 0.5));
  c.decoder_attention = node.get<bool>("decoder_attention", false);
  if (c.n < 1 || c.n > 4096)
    fail_input("{}: must be in 1..4096, got {}", node.where("nodes_per_partition"), c.n);
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

Tensor energy_codes(std::span<const float> energies, int n, Backend where) {
  const int64_t B = static_cast<int64_t>(energies.size());
  const Tensor e = Tensor::from_host({B}, energies).to(where);
  Tensor codes = Tensor::empty({B, n}, where);
  ops::energy_code_rows(where, e.data(), B, n, codes.data());
  return codes;
}

namespace {
constexpr float kPreluInit = 0.02f;  // reference PReLU(C, init 0.02)

// conv (cylindrical 3x3x3 or valid) + BatchNorm + PReLU, named "<p>.convK/.bnK/.actK".
Shape conv_bn_prelu(Sequential& seq, const std::string& p, int k, const Shape& in, int out_ch,
                    Dims3 stride, Padding3d pad, uint64_t seed) {
  auto& c = seq.emplace<Conv3d>(static_cast<int>(in[1]), out_ch, Dims3{3, 3, 3}, stride, pad, true,
                                seed, fmt::format("{}.conv{}", p, k));
  seq.emplace<BatchNorm>(out_ch, 1e-5f, 0.1f, fmt::format("{}.bn{}", p, k));
  seq.emplace<PReLU>(out_ch, kPreluInit, fmt::format("{}.act{}", p, k));
  return c.output_shape(in);
}

// Decoder head: ConvT(in -> D2, k(4,2,4), s(2,2,1)) + BatchNorm + PReLU [+ GroupNorm -> SiLU ->
// LinearAttention] -> valid conv k(2,1,2) to one channel; returns that last conv. Like the
// reference decoder it has no periodic padding.
Conv3d& decoder_head(Sequential& seq, const std::string& p, int in_ch, int ch, bool attention,
                     uint64_t seed) {
  seq.emplace<ConvTranspose3d>(in_ch, ch, Dims3{4, 2, 4}, Dims3{2, 2, 1}, seed + 1, true,
                               p + ".up");
  seq.emplace<BatchNorm>(ch, 1e-5f, 0.1f, p + ".bn");
  seq.emplace<PReLU>(ch, kPreluInit, p + ".act");
  if (attention) {
    seq.emplace<GroupNorm1>(ch, 1e-5f, p + ".attention_norm");
    seq.emplace<SiLU>(p + ".attention_act");
    seq.emplace<LinearAttention>(ch, seed + 2, p + ".attention");
  }
  return seq.emplace<Conv3d>(ch, 1, Dims3{2, 1, 2}, Dims3{1, 1, 1}, Padding3d::none, true, seed + 3,
                             p + ".out");
}
}  // namespace

Calo4pQVAE::Calo4pQVAE(const ModelConfig& config) : cfg_(config) {
  const std::vector<int>& E = cfg_.enc_channels;
  const std::vector<int>& D = cfg_.dec_channels;
  if (E.size() != 4 || D.size() != 3)
    fail_input("model: encoder needs 4 channel counts and decoder 3, got {} and {}", E.size(),
               D.size());
  const int n = cfg_.n;
  const uint64_t s = static_cast<uint64_t>(cfg_.seed) * 1000;
  for (int k = 0; k < 3; ++k) {
    const std::string p = fmt::format("encoder.level{}", k);
    const uint64_t ks = s + 10 * static_cast<uint64_t>(k);
    auto low = std::make_unique<Sequential>(p + ".low");
    Shape sh{1, 2, kLayers, kAlpha, kRadii};
    sh = conv_bn_prelu(*low, p, 0, sh, E[0], {2, 1, 1}, Padding3d::cylindrical, ks + 1);
    static_cast<Conv3d&>(low->at(0)).set_input_gradient(false);  // its input is the data
    sh = conv_bn_prelu(*low, p, 1, sh, E[1], {2, 1, 1}, Padding3d::cylindrical, ks + 2);
    sh = conv_bn_prelu(*low, p, 2, sh, E[2], {1, 2, 1}, Padding3d::cylindrical, ks + 3);
    sh[1] += 1;  // energy channel
    auto high = std::make_unique<Sequential>(p + ".high");
    sh = conv_bn_prelu(*high, p, 3, sh, E[3], {2, 2, 1}, Padding3d::none, ks + 4);
    high->emplace<Flatten>(p + ".flatten");
    enc_features_ = shape_numel(sh);
    auto head = std::make_unique<Sequential>(p + ".head");
    head->emplace<Linear>(static_cast<int>(enc_features_) + k * n, n, ks + 5, true, p + ".head");
    enc_low_.push_back(std::move(low));
    enc_high_.push_back(std::move(high));
    enc_head_.push_back(std::move(head));
  }
  dec_trunk_ = std::make_unique<Sequential>("decoder");
  dec_trunk_->emplace<Linear>(4 * n + 1, D[0] * kSeedD * kSeedH * kSeedW, s + 101, true,
                              "decoder.fc");
  dec_trunk_->emplace<Reshape>(Shape{D[0], kSeedD, kSeedH, kSeedW}, "decoder.reshape");
  dec_trunk_->emplace<BatchNorm>(D[0], 1e-5f, 0.1f, "decoder.bn_fc");
  dec_trunk_->emplace<PReLU>(D[0], kPreluInit, "decoder.act_fc");
  // (10,4,5) -> (22,8,7)
  dec_trunk_->emplace<ConvTranspose3d>(D[0], D[1], Dims3{4, 2, 3}, Dims3{2, 2, 1}, s + 102, true,
                                       "decoder.up0");
  dec_trunk_->emplace<BatchNorm>(D[1], 1e-5f, 0.1f, "decoder.bn_up0");
  dec_trunk_->emplace<PReLU>(D[1], kPreluInit, "decoder.act_up0");
  // heads: (22,8,7) -> (46,16,10) -> (45,16,9)
  dec_act_ = std::make_unique<Sequential>("decoder.energy");
  act_out_ =
      &decoder_head(*dec_act_, "decoder.energy", D[1] + 1, D[2], cfg_.decoder_attention, s + 110);
  dec_hit_ = std::make_unique<Sequential>("decoder.hits");
  hit_out_ = &decoder_head(*dec_hit_, "decoder.hits", D[1] + 1, D[2], false, s + 120);
}

std::vector<Sequential*> Calo4pQVAE::parts() {
  std::vector<Sequential*> out;
  for (int k = 0; k < 3; ++k) {
    out.push_back(enc_low_[size_t(k)].get());
    out.push_back(enc_high_[size_t(k)].get());
    out.push_back(enc_head_[size_t(k)].get());
  }
  out.push_back(dec_trunk_.get());
  out.push_back(dec_act_.get());
  out.push_back(dec_hit_.get());
  return out;
}

void Calo4pQVAE::set_batch_communicator(dist::Communicator* comm) {
  for (Sequential* s : parts()) s->set_batch_communicator(comm);
}

void Calo4pQVAE::set_inference(bool on) {
  for (Sequential* s : parts()) s->set_inference(on);
}

std::vector<Param*> Calo4pQVAE::params() {
  std::vector<Param*> out;
  for (Sequential* s : parts())
    for (Param* p : s->params()) out.push_back(p);
  return out;
}

std::vector<Buffer> Calo4pQVAE::buffers() {
  std::vector<Buffer> out;
  for (Sequential* s : parts())
    for (Buffer& b : s->buffers()) out.push_back(b);
  return out;
}

void Calo4pQVAE::to(Backend where) {
  if (where == Backend::cuda && !stream_) stream_ = CudaStream::create();
  const StreamScope on_stream(stream_);
  for (Sequential* s : parts()) s->to(where);
  backend_ = where;
}

void Calo4pQVAE::init_output_bias(float mean_hit_u, float hit_fraction) {
  const float f = std::clamp(hit_fraction, 1e-4f, 1.0f - 1e-4f);
  const float hit_logit = std::log(f / (1.0f - f));
  auto set = [](Conv3d* c, float v) {
    Param* b = c->bias();
    Tensor h = b->value.to(Backend::cpu);
    h.fill(v);
    b->value = h.to(b->value.backend());
  };
  set(act_out_, mean_hit_u);
  set(hit_out_, hit_logit);
}

Tensor Calo4pQVAE::decoder_input(const Tensor& latent13, std::span<const float> energies,
                                 const Tensor& le) {
  const Tensor c = energy_codes(energies, cfg_.n, backend_);
  return concat_channels(concat_channels(c, latent13), le);
}

Tensor Calo4pQVAE::states_decoder_input(std::span<const uint8_t> states,
                                        std::span<const float> energies, const Tensor& le) {
  const int64_t B = static_cast<int64_t>(energies.size());
  const int n = cfg_.n;
  const Tensor latent13 =
      Tensor::from_host({B, 3 * n}, LatentLayout(n).free_part(states)).to(backend_);
  return decoder_input(latent13, energies, le);
}

Tensor Calo4pQVAE::rows_decoder_input(const Tensor& latent_rows, int64_t b0, const Tensor& le) {
  const int64_t m = le.dim(0), width = latent_rows.dim(1);
  if (b0 == 0 && m == latent_rows.dim(0)) return concat_channels(latent_rows, le);
  Tensor part = Tensor::empty({m, width}, backend_);
  ops::copy_strided(backend_, latent_rows.data() + b0 * width, 0, part.data(), 0, 1, m * width);
  return concat_channels(part, le);
}

Tensor Calo4pQVAE::run_decoder(const Tensor& zin, const Tensor& le, bool training) {
  const Tensor body = append_energy_channel(dec_trunk_->forward(zin, training), le);
  const Tensor acts = dec_act_->forward(body, training);
  const Tensor hits = dec_hit_->forward(body, training);
  return concat_channels(acts, hits);
}

Tensor Calo4pQVAE::decoder_backward(const Tensor& grad_out) {
  auto [gacts, ghits] = split_channels(grad_out, 1);
  const Tensor gbody = sum(dec_act_->backward(gacts), dec_hit_->backward(ghits));
  auto [gtrunk, ge] = append_energy_channel_backward(gbody);
  return dec_trunk_->backward(gtrunk);
}

LossTerms Calo4pQVAE::train_step(const Tensor& u, std::span<const float> energies,
                                 const StepSchedule& sch, bool training, const Rbm* prior,
                                 bool backprop, const float* prior_on_device) {
  const StreamScope on_stream(stream_);
  const int n = cfg_.n;
  const int64_t B = static_cast<int64_t>(energies.size());
  if (u.numel() != B * kVoxels)
    fail_input("model input has {} values, expected {} showers x {} voxels", u.numel(), B, kVoxels);
  set_inference(!(training && backprop));
  Tensor u5 = u.to(backend_);
  u5.reshape({B, 1, kLayers, kAlpha, kRadii});
  const Tensor le = energy_column(energies, backend_);
  const Tensor x = append_energy_channel(u5, le);

  if (prior && prior->n() != n)
    fail_input("model has {} nodes per partition but the RBM prior has {}", n, prior->n());
  if (prior_on_device && !(prior && backend_ == Backend::cuda))
    fail("train_step: a device prior needs its host shape and a model on CUDA");
  std::vector<Tensor> zeta;
  // The CUDA step keeps logits and posterior on the device (last_logits()/last_posterior() fetch).
  const bool on_device = backend_ == Backend::cuda;
  latents_on_device_ = on_device;
  logits_.resize(on_device ? 0 : static_cast<size_t>(B * 3 * n));
  const int64_t Bg = sch.global_batch > 0 ? sch.global_batch : B;
  if (sch.first_example < 0 || sch.first_example + B > Bg)
    fail_input("model shard: examples {}..{} are outside the global batch of {}", sch.first_example,
               sch.first_example + B, Bg);
  const uint64_t offset = (sch.step * static_cast<uint64_t>(Bg) + uint64_t(sch.first_example)) *
                          static_cast<uint64_t>(n);
  for (int k = 0; k < 3; ++k) {
    const Tensor low = enc_low_[size_t(k)]->forward(x, training);
    Tensor feat = enc_high_[size_t(k)]->forward(append_energy_channel(low, le), training);
    Tensor in;
    if (k == 0)
      in = std::move(feat);
    else if (k == 1)
      in = concat_channels(feat, zeta[0]);
    else
      in = concat_channels(feat, concat_channels(zeta[0], zeta[1]));
    Tensor logits = enc_head_[size_t(k)]->forward(in, training);
    if (!on_device) {
      const std::span<const float> lk = logits.host_span();  // B x n -> rows of logits_ (B x 3n)
      for (int64_t b = 0; b < B; ++b)
        std::copy_n(lk.data() + b * n, n, logits_.data() + (b * 3 + k) * n);
    }
    zeta.push_back(
        gumbel_sigmoid_forward(logits, sch.beta, training, sch.seed, kGumbelStream + k, offset));
    device_latents_[size_t(k)] = on_device ? std::move(logits) : Tensor();
  }
  Tensor latent13 = concat_channels(concat_channels(zeta[0], zeta[1]), zeta[2]);
  if (on_device) {
    posterior_.clear();
    device_latents_[3] = latent13.clone();
  } else {
    posterior_ = latent13.to_vector();
  }

  const Tensor out = run_decoder(decoder_input(latent13, energies, le), le, training);
  auto [acts, hits] = split_channels(out, 1);
  Tensor target = Tensor::empty(u5.shape(), backend_);
  ops::hit_target(backend_, u5.data(), target.data(), u5.numel());
  const Tensor uhat = combine_train(acts, u5, sch.slope);
  LossResult mse = weighted_mse_u(u5, uhat, cfg_.mse_coefficient, cfg_.mse_exp_weight);
  LossResult bce = bce_with_logits(hits, target);
  LossTerms terms;
  terms.mse = mse.value;
  terms.bce = bce.value;
  terms.kl_weight = sch.kl_weight;
  const bool grads = training && backprop;
  const bool kl_grads = grads && sch.kl_weight != 0.0f;
  // A shard's KL is a mean over its B examples; the gradient is the global batch's.
  const float kl_weight = Bg == B ? sch.kl_weight : sch.kl_weight * float(B) / float(Bg);
  // KL gradient (entropy + pos_energy) w.r.t. the latents and, at fixed latents, the logits.
  std::array<Tensor, 3> kl_gz, kl_gl;
  if (prior && on_device) {
    const Tensor code = energy_codes(energies, n, backend_);
    KlTensors kl = kl_terms(*prior, code, std::span<const Tensor>(device_latents_.data(), 3),
                            std::span<const Tensor>(zeta.data(), 3), kl_grads, kl_weight,
                            &kl_prior_, prior_on_device);
    terms.entropy = kl.entropy;
    terms.pos_energy = kl.pos_energy;
    kl_gz = std::move(kl.grad_z);
    kl_gl = std::move(kl.grad_logits);
  } else if (prior) {
    const std::vector<float> code = LatentLayout(n).float_codes(energies);
    const KlResult kl = kl_terms(*prior, code, logits_, posterior_, B, kl_grads, kl_weight);
    terms.entropy = kl.entropy;
    terms.pos_energy = kl.pos_energy;
    if (kl_grads) {
      std::vector<float> gzk(static_cast<size_t>(B * n)), glk(static_cast<size_t>(B * n));
      for (int k = 0; k < 3; ++k) {
        for (int64_t b = 0; b < B; ++b) {
          std::copy_n(kl.grad_z.data() + (b * 3 + k) * n, n, gzk.data() + b * n);
          std::copy_n(kl.grad_logits.data() + (b * 3 + k) * n, n, glk.data() + b * n);
        }
        kl_gz[size_t(k)] = Tensor::from_host({B, n}, gzk);
        kl_gl[size_t(k)] = Tensor::from_host({B, n}, glk);
      }
    }
  }
  if (!grads) return terms;
  if (Bg != B) {  // the losses are means over this shard; the gradient is the global batch's
    scale_in_place(mse.grad, float(B) / float(Bg));
    scale_in_place(bce.grad, float(B) / float(Bg));
  }

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
  if (kl_grads && prior)
    for (int k = 0; k < 3; ++k) gz[size_t(k)] = sum(std::move(gz[size_t(k)]), kl_gz[size_t(k)]);
  for (int k = 2; k >= 0; --k) {
    Tensor gl = gumbel_sigmoid_backward(gz[size_t(k)], zeta[size_t(k)], sch.beta);
    if (kl_grads && prior) gl = sum(std::move(gl), kl_gl[size_t(k)]);
    const Tensor gin = enc_head_[size_t(k)]->backward(gl);
    auto [gfeat, gprev] = split_channels(gin, enc_features_);
    auto [glow, genergy] = append_energy_channel_backward(enc_high_[size_t(k)]->backward(gfeat));
    enc_low_[size_t(k)]->backward(glow);
    if (k == 2) {
      auto [p0, p1] = split_channels(gprev, n);
      gz[0] = sum(std::move(gz[0]), p0);
      gz[1] = sum(std::move(gz[1]), p1);
    } else if (k == 1) {
      gz[0] = sum(std::move(gz[0]), gprev);
    }
  }
  return terms;
}

const std::vector<float>& Calo4pQVAE::last_posterior() const {
  if (latents_on_device_ && posterior_.empty() && device_latents_[3].numel() > 0)
    posterior_ = device_latents_[3].to_vector();
  return posterior_;
}

const Tensor* Calo4pQVAE::last_posterior_on_device() const {
  return latents_on_device_ && device_latents_[3].numel() > 0 ? &device_latents_[3] : nullptr;
}

const std::vector<float>& Calo4pQVAE::last_logits() const {
  if (latents_on_device_ && logits_.empty() && device_latents_[0].numel() > 0) {
    const int64_t n = device_latents_[0].dim(1), B = device_latents_[0].dim(0);
    logits_.resize(static_cast<size_t>(B * 3 * n));
    for (int k = 0; k < 3; ++k) {
      const std::vector<float> lk = device_latents_[size_t(k)].to_vector();
      for (int64_t b = 0; b < B; ++b)
        std::copy_n(lk.data() + b * n, n, logits_.data() + (b * 3 + k) * n);
    }
  }
  return logits_;
}

void Calo4pQVAE::check_decode_input(std::span<const uint8_t> states,
                                    std::span<const float> energies) const {
  const int n = cfg_.n;
  const int64_t B = static_cast<int64_t>(energies.size());
  if (static_cast<int64_t>(states.size()) != B * 4 * n)
    fail_input("decode: {} latent values for {} showers, expected {} (4 x {} nodes each)",
               states.size(), B, B * 4 * n, n);
}

Tensor Calo4pQVAE::decode(std::span<const uint8_t> states, std::span<const float> energies,
                          uint64_t seed, uint64_t offset) {
  check_decode_input(states, energies);
  const size_t units = 4 * size_t(cfg_.n);
  return decode_slices(
      [&](int64_t b0, int64_t m, const Tensor& le) {
        return states_decoder_input(states.subspan(size_t(b0) * units, size_t(m) * units),
                                    energies.subspan(size_t(b0), size_t(m)), le);
      },
      energies, seed, offset);
}

Tensor Calo4pQVAE::decode(const Tensor& latent_rows, std::span<const float> energies, uint64_t seed,
                          uint64_t offset) {
  const int64_t B = static_cast<int64_t>(energies.size());
  if (latent_rows.rank() != 2 || latent_rows.dim(0) != B || latent_rows.dim(1) != 4 * cfg_.n)
    fail_input("decode: latent rows {} for {} showers, expected ({}, {}) (4 x {} nodes each)",
               shape_string(latent_rows.shape()), B, B, 4 * cfg_.n, cfg_.n);
  if (latent_rows.backend() != backend_)
    fail("decode: latent rows on {} but the model on {}", to_string(latent_rows.backend()),
         to_string(backend_));
  return decode_slices([&](int64_t b0, int64_t,
                           const Tensor& le) { return rows_decoder_input(latent_rows, b0, le); },
                       energies, seed, offset);
}

Tensor Calo4pQVAE::decode_slices(
    const std::function<Tensor(int64_t, int64_t, const Tensor&)>& zin_of,
    std::span<const float> energies, uint64_t seed, uint64_t offset) {
  const StreamScope on_stream(stream_);
  const int64_t B = static_cast<int64_t>(energies.size());
  set_inference(true);
  Tensor u({B, kVoxels}, backend_);
  // Eval-mode layers treat showers independently and the hit draws are keyed by the voxel's global
  // index, so slicing the batch does not change the result.
  const int64_t slice = backend_ == Backend::cpu ? kDecodeSlice : std::max<int64_t>(B, 1);
  const int64_t micro = backend_ == Backend::cpu ? decode_micro_slice() : slice;
  const std::optional<DecoderTailCpu> tail = decoder_tail_cpu();
  for (int64_t b0 = 0; b0 < B; b0 += slice) {
    const int64_t m = std::min(slice, B - b0);
    const auto e = energies.subspan(size_t(b0), size_t(m));
    const Tensor le_slice = energy_column(e, backend_);
    const Tensor fc = dec_trunk_->forward_range(zin_of(b0, m, le_slice), 0, 1, false);
    if (tail) {  // the whole slice at once: the tail keeps no activation beyond one item per thread
      const Tensor x = dec_trunk_->forward_range(fc, 1, kTailFirst, false);
      Tensor acts = Tensor::empty({m, kVoxels}), hits = Tensor::empty({m, kVoxels});
      tail->run(x.data(), le_slice.data(), m, acts.data(), hits.data(), kVoxels);
      ops::combine_eval(backend_, acts.data(), hits.data(), u.data() + b0 * kVoxels, m * kVoxels,
                        seed, kDecodeStream, offset + uint64_t(b0) * uint64_t(kVoxels));
      continue;
    }
    const int64_t width = fc.numel() / m;
    for (int64_t c0 = 0; c0 < m; c0 += micro) {
      const int64_t mu = std::min(micro, m - c0);
      Tensor part;  // the micro-slice's rows of fc (no copy when it is the whole slice: CUDA)
      if (mu != m) {
        part = Tensor({mu, width}, backend_);
        ops::copy_strided(backend_, fc.data() + c0 * width, 0, part.data(), 0, 1, mu * width);
      }
      // The micro-slice's energy column (the slice's when it is the whole slice: CUDA).
      Tensor le_part;
      if (mu != m) le_part = energy_column(e.subspan(size_t(c0), size_t(mu)), backend_);
      const Tensor& le = mu != m ? le_part : le_slice;
      const Tensor body = append_energy_channel(
          dec_trunk_->forward_range(mu != m ? part : fc, 1, dec_trunk_->size(), false), le);
      const Tensor acts = dec_act_->forward(body, false);
      const Tensor hits = dec_hit_->forward(body, false);
      if (acts.numel() != mu * kVoxels || hits.numel() != mu * kVoxels)
        fail("decoder heads gave {} and {} values for {} showers", acts.numel(), hits.numel(), mu);
      ops::combine_eval(backend_, acts.data(), hits.data(), u.data() + (b0 + c0) * kVoxels,
                        mu * kVoxels, seed, kDecodeStream,
                        offset + uint64_t(b0 + c0) * uint64_t(kVoxels));
    }
  }
  return u;
}

int64_t Calo4pQVAE::decode_micro_slice() const {
  // The heads' transposed-conv output, (D2, 46, 16, 10) floats per shower, is the largest.
  const int64_t item_bytes = int64_t{cfg_.dec_channels.at(2)} * 46 * 16 * 10 * 4;
  return std::clamp<int64_t>(kMicroSliceBytes / item_bytes, int64_t{omp_get_max_threads()},
                             kDecodeSlice);
}

Tensor Calo4pQVAE::decode_heads(std::span<const uint8_t> states, std::span<const float> energies) {
  const StreamScope on_stream(stream_);
  check_decode_input(states, energies);
  set_inference(true);
  const Tensor le = energy_column(energies, backend_);
  const Tensor zin = states_decoder_input(states, energies, le);
  const std::optional<DecoderTailCpu> tail = decoder_tail_cpu();
  if (!tail) return run_decoder(zin, le, false);
  const int64_t B = static_cast<int64_t>(energies.size());
  const Tensor x = dec_trunk_->forward_range(zin, 0, kTailFirst, false);
  Tensor out = Tensor::empty({B, 2, kLayers, kAlpha, kRadii});
  tail->run(x.data(), le.data(), B, out.data(), out.data() + kVoxels, 2 * kVoxels);
  return out;
}

std::optional<DecoderTailCpu> Calo4pQVAE::decoder_tail_cpu() {
  if (backend_ != Backend::cpu || !cpu_decoder_tail_) return std::nullopt;
  std::optional<DecoderTailCpu> tail =
      DecoderTailCpu::build(*dec_trunk_, kTailFirst, *dec_act_, *dec_hit_,
                            Shape{cfg_.dec_channels.at(0), kSeedD, kSeedH, kSeedW});
  if (tail && tail->out_voxels() != kVoxels)
    fail("decoder tail gives {} voxels per shower, expected {}", tail->out_voxels(), kVoxels);
  return tail;
}

}  // namespace calo::nn
