#include "host/nn/losses.hpp"

#include <algorithm>
#include <array>

#include "host/error.hpp"
#include "host/nn/ops.hpp"
#include "host/nn/packed_rbm.hpp"
#include "kernels/math.hpp"
#include "kernels/nn/kl_math.hpp"

namespace calo::nn {

namespace {
void check_pair(const Tensor& a, const Tensor& b, const char* what) {
  if (a.shape() != b.shape() || a.backend() != b.backend() || a.rank() < 1 || a.dim(0) == 0)
    fail_input("{}: tensors {} and {} must have the same non-empty shape and backend", what,
               shape_string(a.shape()), shape_string(b.shape()));
}
}  // namespace

LossResult weighted_mse_u(const Tensor& u, const Tensor& uhat, float coefficient, float w) {
  check_pair(u, uhat, "weighted_mse_u");
  const float scale = coefficient / static_cast<float>(u.dim(0));
  LossResult r;
  r.grad = Tensor::empty(u.shape(), u.backend());
  const double sum =
      ops::wmse_sum(u.backend(), u.data(), uhat.data(), r.grad.data(), u.numel(), w, scale);
  r.value = sum * coefficient / static_cast<double>(u.dim(0));
  return r;
}

LossResult bce_with_logits(const Tensor& logits, const Tensor& targets) {
  check_pair(logits, targets, "bce_with_logits");
  const float scale = 1.0f / static_cast<float>(logits.dim(0));
  LossResult r;
  r.grad = Tensor::empty(logits.shape(), logits.backend());
  const double sum = ops::bce_sum(logits.backend(), logits.data(), targets.data(), r.grad.data(),
                                  logits.numel(), scale);
  r.value = sum / static_cast<double>(logits.dim(0));
  return r;
}

Tensor combine_train(const Tensor& acts, const Tensor& u_true, float slope) {
  check_pair(acts, u_true, "combine_train");
  Tensor y = Tensor::empty(acts.shape(), acts.backend());
  ops::combine_train(acts.backend(), acts.data(), u_true.data(), y.data(), acts.numel(), slope);
  return y;
}

Tensor combine_train_backward(const Tensor& grad_output, const Tensor& acts, const Tensor& u_true,
                              float slope) {
  check_pair(acts, u_true, "combine_train_backward");
  check_pair(acts, grad_output, "combine_train_backward");
  Tensor gx = Tensor::empty(acts.shape(), acts.backend());
  ops::combine_train_backward(acts.backend(), grad_output.data(), acts.data(), u_true.data(),
                              gx.data(), acts.numel(), slope);
  return gx;
}

Tensor combine_eval(const Tensor& acts, const Tensor& hit_logits, uint64_t seed, uint64_t stream,
                    uint64_t offset) {
  check_pair(acts, hit_logits, "combine_eval");
  Tensor y = Tensor::empty(acts.shape(), acts.backend());
  ops::combine_eval(acts.backend(), acts.data(), hit_logits.data(), y.data(), acts.numel(), seed,
                    stream, offset);
  return y;
}

double conditional_energy(const Rbm& prior, const float* code, const float* z) {
  const size_t n = size_t(prior.n());
  auto unit = [&](int p, size_t i) { return double(p == 0 ? code[i] : z[size_t(p - 1) * n + i]); };
  double e = 0.0;
  for (int p = 1; p < 4; ++p)
    for (size_t i = 0; i < n; ++i) e -= double(prior.bias(p)[i]) * unit(p, i);
  for (const auto& [p, q] : kRbmPairs) {
    const auto& w = prior.weights(p, q);
    for (size_t i = 0; i < n; ++i) {
      const double zi = unit(p, i);
      if (zi == 0.0) continue;
      double s = 0.0;
      for (size_t j = 0; j < n; ++j) s += double(w[i * n + j]) * unit(q, j);
      e -= zi * s;
    }
  }
  return e;
}

KlResult kl_terms(const Rbm& prior, std::span<const float> code, std::span<const float> logits,
                  std::span<const float> z, int64_t batch, bool gradients, float grad_scale) {
  const int64_t n = prior.n(), B = batch, N3 = 3 * n;
  if (B < 1 || code.size() != size_t(B * n) || logits.size() != size_t(B * N3) ||
      z.size() != size_t(B * N3))
    fail_input(
        "kl_terms: {} code, {} logit and {} posterior values for {} rows of an RBM with n = {}",
        code.size(), logits.size(), z.size(), B, n);
  KlResult r;
  // Entropy term and its direct logit gradient.
  const double s = double(grad_scale) / double(B);
  if (gradients) {
    r.grad_logits.assign(size_t(B * N3), 0.0f);
    r.grad_z.assign(size_t(B * N3), 0.0f);
  }
  double ent = 0.0;
  for (size_t i = 0; i < size_t(B * N3); ++i)
    ent += kl_entropy_unit(logits[i], z[i], s, gradients ? &r.grad_logits[i] : nullptr,
                           gradients ? &r.grad_z[i] : nullptr);
  r.entropy = ent / double(B);

  // Partition-major copies Z[p] (B x n); couplings F[p] = sum_{q != p} W z_q = -dE_pair/dz_p.
  std::array<std::vector<float>, 4> Z, F;
  Z[0].assign(code.begin(), code.end());
  for (int p = 1; p < 4; ++p) {
    Z[size_t(p)].resize(size_t(B * n));
    for (int64_t b = 0; b < B; ++b)
      std::copy_n(z.data() + b * N3 + (p - 1) * n, n, Z[size_t(p)].data() + b * n);
  }
  for (auto& f : F) f.assign(size_t(B * n), 0.0f);
  for (const auto& [p, q] : kRbmPairs) {
    const float* W = prior.weights(p, q).data();  // n x n, rows: partition p
    // F[p] += Z[q] W^T  ((W z_q)_i);  F[q] += Z[p] W  ((W^T z_p)_j)
    ops::gemm(Backend::cpu, false, true, B, n, n, 1.0f, Z[size_t(q)].data(), W, 1.0f,
              F[size_t(p)].data());
    ops::gemm(Backend::cpu, false, false, B, n, n, 1.0f, Z[size_t(p)].data(), W, 1.0f,
              F[size_t(q)].data());
  }
  // sum_{p<q} z_p W_pq z_q = 1/2 sum_{p=0..3} z_p . F_p (every pair appears twice).
  double e = 0.0;
  for (int64_t b = 0; b < B; ++b) {
    double eb = 0.0;
    for (int p = 0; p < 4; ++p) {
      const auto& bias = prior.bias(p);
      for (int64_t i = 0; i < n; ++i) {
        const size_t k = size_t(b * n + i);
        // partition 0 (the clamped code): no bias and no gradient
        float* gz = gradients && p > 0 ? &r.grad_z[size_t(b * N3 + (p - 1) * n + i)] : nullptr;
        eb += kl_energy_unit(Z[size_t(p)][k], F[size_t(p)][k], p == 0 ? 0.0f : bias[size_t(i)], s,
                             gz);
      }
    }
    e += eb;
  }
  r.pos_energy = e / double(B);
  return r;
}

KlTensors kl_terms(const Rbm& prior, const Tensor& code, std::span<const Tensor> logits,
                   std::span<const Tensor> z, bool gradients, float grad_scale, PackedRbm* packed,
                   const float* packed_on_device) {
  const int64_t n = prior.n();
  const Backend where = code.backend();
  const int64_t B = code.rank() == 2 ? code.dim(0) : 0;
  bool ok = B >= 1 && code.dim(1) == n && logits.size() == 3 && z.size() == 3;
  for (size_t k = 0; ok && k < 3; ++k)
    ok = logits[k].shape() == code.shape() && z[k].shape() == code.shape() &&
         logits[k].backend() == where && z[k].backend() == where;
  if (!ok)
    fail_input("kl_terms: code {} needs three (B, {}) logit and posterior tensors on its backend",
               shape_string(code.shape()), n);
  if (packed_on_device && where != Backend::cuda)
    fail("kl_terms: the prior's device parameters were given for tensors on {}", to_string(where));
  // The prior's couplings and biases (host/nn/packed_rbm.hpp): already on the device, or the
  // caller's copy, uploaded again only when the prior changed, or one made for this call.
  PackedRbm own;
  const float* W =
      packed_on_device ? packed_on_device : (packed ? *packed : own).on(prior, where).data();
  const float* bias = W + 6 * n * n;

  KlTensors r;
  const double s = double(grad_scale) / double(B);
  double ent = 0.0;
  for (size_t k = 0; k < 3; ++k) {
    if (gradients) {
      r.grad_logits[k] = Tensor::empty(code.shape(), where);
      r.grad_z[k] = Tensor::empty(code.shape(), where);
    }
    ent += ops::kl_entropy_sum(where, logits[k].data(), z[k].data(),
                               gradients ? r.grad_logits[k].data() : nullptr,
                               gradients ? r.grad_z[k].data() : nullptr, B * n, s);
  }
  r.entropy = ent / double(B);

  // F[p] = sum_{q != p} W z_q, as the span version computes it.
  const std::array<const Tensor*, 4> Z = {&code, &z[0], &z[1], &z[2]};
  std::array<Tensor, 4> F;
  for (auto& f : F) f = Tensor(code.shape(), where);
  for (size_t pair = 0; pair < kRbmPairs.size(); ++pair) {
    const auto [p, q] = kRbmPairs[pair];
    const float* w = W + int64_t(pair) * n * n;
    ops::gemm(where, false, true, B, n, n, 1.0f, Z[size_t(q)]->data(), w, 1.0f,
              F[size_t(p)].data());
    ops::gemm(where, false, false, B, n, n, 1.0f, Z[size_t(p)]->data(), w, 1.0f,
              F[size_t(q)].data());
  }
  double e = 0.0;
  for (size_t p = 0; p < 4; ++p)
    e += ops::kl_energy_sum(where, Z[p]->data(), F[p].data(), p == 0 ? nullptr : bias + p * n,
                            gradients && p > 0 ? r.grad_z[p - 1].data() : nullptr, B, n, s);
  r.pos_energy = e / double(B);
  return r;
}

}  // namespace calo::nn
