#include "host/eval/classifier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "host/error.hpp"
#include "host/eval/isotonic.hpp"
#include "host/eval/roc.hpp"
#include "host/nn/activations.hpp"
#include "host/nn/adam.hpp"
#include "host/nn/linear.hpp"
#include "host/nn/losses.hpp"
#include "host/nn/sequential.hpp"
#include "kernels/philox.hpp"

namespace calo::eval {
namespace {

struct Row {
  int label;  // 0 generated, 1 reference
  int64_t index;
};

// Fisher-Yates with Philox draws (seed, stream): the same permutation on every machine.
template <class T>
void shuffle(std::vector<T>& v, uint64_t seed, uint64_t stream) {
  for (size_t i = v.size(); i > 1; --i) {
    const auto u = uniform2_double(seed, stream, i);
    auto j = static_cast<size_t>(u.u[0] * static_cast<double>(i));
    if (j >= i) j = i - 1;
    std::swap(v[i - 1], v[j]);
  }
}

nn::Sequential make_dnn(int in, const ClassifierOptions& o) {
  nn::Sequential net("classifier");
  uint64_t s = o.seed * 7919u + 1;
  // The input rows are data: no gradient for them (a third of the input layer's backward).
  net.emplace<nn::Linear>(in, o.hidden, s++, true, "classifier.input").set_input_gradient(false);
  net.emplace<nn::LeakyReLU>(0.01f);
  for (int l = 0; l < o.layers; ++l) {
    net.emplace<nn::Linear>(o.hidden, o.hidden, s++, true, "classifier.hidden" + std::to_string(l));
    net.emplace<nn::LeakyReLU>(0.01f);
  }
  net.emplace<nn::Linear>(o.hidden, 1, s++, true, "classifier.output");
  return net;
}

class Batcher {
 public:
  Batcher(const ClassifierData& gen, const ClassifierData& ref) : gen_(gen), ref_(ref) {}
  // Fills x (rows x dims) and y (rows) for rows[first, first + count).
  void fill(const std::vector<Row>& rows, size_t first, size_t count, std::vector<float>& x,
            std::vector<float>& y) const {
    const int d = gen_.dims;
    x.resize(count * static_cast<size_t>(d));
    y.resize(count);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) {
      const Row& r = rows[first + static_cast<size_t>(i)];
      (r.label ? ref_ : gen_).fill(r.index, x.data() + i * d);
      y[static_cast<size_t>(i)] = static_cast<float>(r.label);
    }
  }

 private:
  const ClassifierData &gen_, &ref_;
};

// Inference mode while it runs: the layers keep no copies of their inputs.
std::vector<double> logits_of(nn::Sequential& net, const Batcher& b, const std::vector<Row>& rows,
                              int dims, int batch, Backend where) {
  net.set_inference(true);
  std::vector<double> out;
  out.reserve(rows.size());
  std::vector<float> x, y;
  for (size_t f = 0; f < rows.size(); f += static_cast<size_t>(batch)) {
    const size_t c = std::min(static_cast<size_t>(batch), rows.size() - f);
    b.fill(rows, f, c, x, y);
    Tensor in = Tensor::from_host({static_cast<int64_t>(c), dims}, x);
    if (where != Backend::cpu) in = in.to(where);
    const std::vector<float> z = net.forward(in, false).to_vector();
    for (float v : z) out.push_back(v);
  }
  net.set_inference(false);
  return out;
}

std::vector<double> labels_of(const std::vector<Row>& rows) {
  std::vector<double> y(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) y[i] = rows[i].label;
  return y;
}

double accuracy(const std::vector<double>& logits, const std::vector<double>& y) {
  double ok = 0;
  for (size_t i = 0; i < y.size(); ++i) ok += ((logits[i] > 0) == (y[i] > 0.5)) ? 1 : 0;
  return ok / static_cast<double>(y.size());
}

double sigmoid(double z) {
  return 1.0 / (1.0 + std::exp(-z));
}

}  // namespace

ClassifierResult train_classifier(const ClassifierData& gen, const ClassifierData& ref,
                                  const ClassifierOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (gen.dims != ref.dims || gen.dims <= 0)
    fail_input("classifier: generated rows have {} inputs, reference rows {}", gen.dims, ref.dims);
  if (o.hidden < 1 || o.layers < 0 || o.epochs < 1 || o.batch_size < 1 || o.lr <= 0)
    fail_input("classifier: bad options (hidden {}, layers {}, epochs {}, batch {}, lr {})",
               o.hidden, o.layers, o.epochs, o.batch_size, o.lr);
  require_backend(o.backend);
  ClassifierResult r;
  r.per_class = std::min(gen.rows, ref.rows);
  if (o.max_per_class > 0) r.per_class = std::min(r.per_class, o.max_per_class);
  r.train_rows = static_cast<int64_t>(static_cast<double>(r.per_class) * 0.6);
  r.test_rows = static_cast<int64_t>(static_cast<double>(r.per_class) * 0.2);
  r.val_rows = r.per_class - r.train_rows - r.test_rows;
  if (r.train_rows < 1 || r.test_rows < 1 || r.val_rows < 1)
    fail_input("classifier: {} showers per class leave an empty train/test/val split; need >= 5",
               r.per_class);
  if (gen.rows != ref.rows)
    spdlog::warn("classifier: {} generated vs {} reference showers; using {} of each", gen.rows,
                 ref.rows, r.per_class);

  // per class: a seeded permutation, first per_class rows, split 60/20/20
  std::vector<Row> train, test, val;
  for (int label = 0; label < 2; ++label) {
    std::vector<int64_t> idx(static_cast<size_t>(label ? ref.rows : gen.rows));
    std::iota(idx.begin(), idx.end(), int64_t{0});
    shuffle(idx, o.seed, 1000u + static_cast<uint64_t>(label));
    for (int64_t i = 0; i < r.per_class; ++i) {
      const Row row{label, idx[static_cast<size_t>(i)]};
      (i < r.train_rows ? train : i < r.train_rows + r.test_rows ? test : val).push_back(row);
    }
  }
  shuffle(test, o.seed, 1002);
  shuffle(val, o.seed, 1003);
  const std::vector<double> y_test = labels_of(test), y_val = labels_of(val);

  nn::Sequential net = make_dnn(gen.dims, o);
  if (o.backend != Backend::cpu) net.to(o.backend);
  const std::vector<nn::Param*> params = net.params();
  for (const nn::Param* p : params) r.parameters += p->value.numel();
  nn::Adam adam(nn::AdamOptions{o.lr, 0.9f, 0.999f, 1e-8f, 0.0f, false});
  const Batcher batcher(gen, ref);
  std::vector<std::vector<float>> best;
  std::vector<double> best_test_logits;
  double best_acc = -1;
  int since_best = 0;
  std::vector<float> x, y;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    const auto t_epoch = std::chrono::steady_clock::now();
    shuffle(train, o.seed, 2000u + static_cast<uint64_t>(epoch));
    double loss = 0;
    int64_t batches = 0;
    for (size_t f = 0; f < train.size(); f += static_cast<size_t>(o.batch_size)) {
      const size_t c = std::min(static_cast<size_t>(o.batch_size), train.size() - f);
      batcher.fill(train, f, c, x, y);
      Tensor in = Tensor::from_host({static_cast<int64_t>(c), gen.dims}, x);
      Tensor target = Tensor::from_host({static_cast<int64_t>(c), 1}, y);
      if (o.backend != Backend::cpu) {
        in = in.to(o.backend);
        target = target.to(o.backend);
      }
      nn::Adam::zero_grad(params);
      const Tensor z = net.forward(in, true);
      nn::LossResult l = nn::bce_with_logits(z, target);
      net.backward(l.grad);
      adam.step(params);
      loss += l.value;
      ++batches;
    }
    r.train_loss.push_back(loss / static_cast<double>(batches));
    std::vector<double> z_test = logits_of(net, batcher, test, gen.dims, o.batch_size, o.backend);
    const double acc = accuracy(z_test, y_test);
    r.test_acc.push_back(acc);
    r.epochs_run = epoch;
    spdlog::debug("classifier epoch {}/{}: train loss {:.4f}, test accuracy {:.4f}", epoch,
                  o.epochs, r.train_loss.back(), acc);
    if (acc > best_acc) {
      best_acc = acc;
      best_test_logits = std::move(z_test);  // the calibration's inputs: no second test pass
      r.best_epoch = epoch;
      since_best = 0;
      best.clear();
      for (const nn::Param* p : params) best.push_back(p->value.to_vector());
    } else {
      ++since_best;
    }
    r.epoch_seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_epoch).count());
    if (acc == 1.0 || (o.patience > 0 && since_best >= o.patience)) break;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor v = Tensor::from_host(params[i]->value.shape(), best[i]);
    params[i]->value = o.backend == Backend::cpu ? std::move(v) : v.to(o.backend);
  }
  r.test_accuracy = best_acc;

  std::vector<double> p_test = std::move(best_test_logits);
  const std::vector<double> z_val = logits_of(net, batcher, val, gen.dims, o.batch_size, o.backend);
  for (double& v : p_test) v = sigmoid(v);
  std::vector<double> p_val(z_val.size());
  for (size_t i = 0; i < z_val.size(); ++i) p_val[i] = sigmoid(z_val[i]);
  r.auc_uncalibrated = roc_auc(p_val, y_val);
  r.jsd_uncalibrated = jsd_from_bce(bce_logits(z_val, y_val));
  IsotonicCalibrator iso(1e-6, 1.0 - 1e-6);
  iso.fit(p_test, y_test);
  const std::vector<double> cal = iso.predict(p_val);
  r.auc = roc_auc(cal, y_val);
  r.jsd = jsd_from_bce(bce_probabilities(cal, y_val));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace calo::eval
