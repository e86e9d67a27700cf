// decoder_io: the C++ side of the PyTorch twin (perf/peer/torch_twin.py, issue 18 item 3).
//   decoder_io write MODEL DIR  builds the model (weights from the config's init seed; BatchNorm
//     statistics, BatchNorm affine parameters and PReLU slopes drawn away from their defaults),
//     writes DIR/checkpoint (the trainer's checkpoint format) and a batch of decoder inputs and
//     outputs as .npy files: states (B, 4n) u8, energies (B) f32, heads (B, 2, 45, 16, 9) f32 =
//     Calo4pQVAE::decode_heads (channel 0 energy-head activations, 1 hit logits, before ReLU and
//     Bernoulli), u (B, 6480) = decode() with decode_seed; DIR/meta.json describes them.
//   decoder_io time MODEL       us/shower of decode() (decoder + hit sampling) and of decode +
//     inverse transform (u_to_voxel, as bench_gen's EndToEnd), per batch, and the OpenBLAS SGEMM
//     rate, one JSON line each, under the current OMP_NUM_THREADS.
// MODEL is a YAML config path or `bench_gen` (ModelConfig{} defaults, the bench_gen model).
// Cost: the decoder is ~28 MFLOP/shower at bench_gen/quickstart size and ~2.2 GFLOP/shower at
// dataset2_zephyr size (perf/peer/torch_twin.py decoder_flops).
#include <cblas.h>
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "host/config.hpp"
#include "host/error.hpp"
#include "host/nn/checkpoint.hpp"
#include "host/nn/model.hpp"
#include "host/nn/ops.hpp"
#include "host/nn/train_config.hpp"
#include "host/nn/trained_model.hpp"
#include "host/runtime_policy.hpp"
#include "host/text_file.hpp"
#include "kernels/philox.hpp"
#include "kernels/transform.hpp"

namespace {
namespace fs = std::filesystem;
using calo::nn::Calo4pQVAE;
using calo::nn::kVoxels;
using calo::nn::ModelConfig;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kInputStream = 77;   // Philox stream of the synthetic inputs
constexpr uint64_t kRandomStream = 78;  // Philox stream of the BatchNorm/PReLU values

struct ModelSpec {
  ModelConfig config;
  std::string config_text;  // YAML for the checkpoint's config.yaml
};

ModelSpec model_spec(const std::string& model) {
  if (model == "bench_gen")
    return {ModelConfig{}, "# decoder_io: ModelConfig{} defaults (the bench_gen model)\n"};
  auto text = calo::read_text_file(model);
  if (!text) calo::fail_input("cannot read config '{}'", model);
  const calo::nn::TrainConfig tc = calo::nn::TrainConfig::from_yaml_text(*text, model);
  if (tc.model.decoder_attention)
    calo::fail_input("{}: decoder_attention is on; the torch twin has no LinearAttention", model);
  return {tc.model, *text};
}

// Energies log-uniform in 1 GeV .. 1 TeV; partition 0 = energy code, partitions 1-3 random bits.
void make_inputs(int n, int batch, uint64_t seed, std::vector<uint8_t>& states,
                 std::vector<float>& energies) {
  energies.resize(size_t(batch));
  states.resize(size_t(batch) * 4 * size_t(n));
  for (int b = 0; b < batch; ++b) {
    energies[size_t(b)] = 1e3f * std::pow(1e3f, calo::uniform(seed, kInputStream, uint64_t(b)));
    uint8_t* s = states.data() + size_t(b) * 4 * size_t(n);
    calo::energy_code(double(energies[size_t(b)]), n, s);
    for (int i = n; i < 4 * n; ++i)
      s[i] =
          calo::uniform(seed, kInputStream + 1, uint64_t(b) * 4 * uint64_t(n) + uint64_t(i)) < 0.5f
              ? 1
              : 0;
  }
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Last name component before .weight/.bias: "decoder.energy.bn.weight" -> "bn".
std::string layer_kind(const std::string& name) {
  const size_t dot = name.rfind('.');
  const size_t prev = name.rfind('.', dot - 1);
  return name.substr(prev + 1, dot - prev - 1);
}

void set_uniform(calo::Tensor& t, float lo, float hi, uint64_t seed, uint64_t& counter) {
  calo::Tensor h = t.to(calo::Backend::cpu);
  for (float& v : h.host_span()) v = lo + (hi - lo) * calo::uniform(seed, kRandomStream, counter++);
  t = h.to(t.backend());
}

// Moves the decoder's BatchNorm buffers and affine parameters and its PReLU slopes off their
// defaults (mean 0, var 1, gamma 1, beta 0, slope 0.02), so the twin is tested on all of them;
// negative slopes included. Output biases as the trainer sets them from data.
void randomise_decoder(Calo4pQVAE& model, uint64_t seed) {
  uint64_t counter = 0;
  for (calo::nn::Buffer& b : model.buffers()) {
    if (b.name.rfind("decoder.", 0) != 0) continue;
    if (ends_with(b.name, ".running_mean")) set_uniform(*b.value, -0.3f, 0.3f, seed, counter);
    if (ends_with(b.name, ".running_var")) set_uniform(*b.value, 0.3f, 2.0f, seed, counter);
  }
  for (calo::nn::Param* p : model.params()) {
    if (p->name.rfind("decoder.", 0) != 0) continue;
    const std::string kind = layer_kind(p->name);
    if (kind.rfind("bn", 0) == 0 && ends_with(p->name, ".weight"))
      set_uniform(p->value, 0.5f, 1.5f, seed, counter);
    if (kind.rfind("bn", 0) == 0 && ends_with(p->name, ".bias"))
      set_uniform(p->value, -0.3f, 0.3f, seed, counter);
    if (kind.rfind("act", 0) == 0) set_uniform(p->value, -0.25f, 0.5f, seed, counter);
  }
  model.init_output_bias(2.0f, 0.3f);
}

std::string npy_shape(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// NumPy .npy version 1.0, C order.
void write_npy(const fs::path& path, const char* descr, const std::vector<int64_t>& shape,
               const void* data, size_t bytes) {
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + npy_shape(shape) + ", }";
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) calo::fail_input("cannot write '{}'", path.string());
  out.write("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<uint16_t>(header.size());
  const char len_le[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_le, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  out.flush();
  if (!out) calo::fail("write to '{}' failed (disk full?)", path.string());
}

int64_t count_params(Calo4pQVAE& model, const std::string& prefix) {
  int64_t total = 0;
  for (calo::nn::Param* p : model.params())
    if (p->name.rfind(prefix, 0) == 0) total += p->value.numel();
  return total;
}

int run_write(const std::string& model_name, const std::string& dir, int batch, uint64_t seed,
              uint64_t decode_seed) {
  const ModelSpec spec = model_spec(model_name);
  Calo4pQVAE model(spec.config);
  randomise_decoder(model, seed);
  std::vector<uint8_t> states;
  std::vector<float> energies;
  make_inputs(spec.config.n, batch, seed, states, energies);
  const std::vector<float> heads = model.decode_heads(states, energies).to_vector();
  const std::vector<float> u = model.decode(states, energies, decode_seed, 0).to_vector();

  // decode() must be decode_heads() followed by the eval combination: every u is 0 or the
  // ReLU'd activation of its voxel, and the hit rate follows the mean hit probability.
  double expected_hits = 0.0;
  int64_t hits = 0;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t v = 0; v < kVoxels; ++v) {
      const float act = heads[size_t((b * 2) * kVoxels + v)];
      const float logit = heads[size_t((b * 2 + 1) * kVoxels + v)];
      const float uv = u[size_t(b * kVoxels + v)];
      if (uv != 0.0f && uv != std::max(act, 0.0f))
        calo::fail("decode and decode_heads disagree at shower {} voxel {}: u {} act {}", b, v, uv,
                   act);
      if (act > 0.0f) {
        expected_hits += 1.0 / (1.0 + std::exp(-double(logit)));
        hits += uv != 0.0f;
      }
    }
  if (expected_hits > 100.0 &&
      std::abs(double(hits) - expected_hits) > 6.0 * std::sqrt(expected_hits))
    calo::fail("decode hit count {} is far from the expected {:.1f}", hits, expected_hits);

  fs::create_directories(dir);
  calo::nn::CheckpointData ck;
  ck.config_text = spec.config_text;
  ck.params = calo::nn::model_arrays(model);
  ck.state = {{"written_by", "perf/decoder_io"}, {"model", model_name}, {"seed", seed}};
  calo::nn::write_checkpoint((fs::path(dir) / "checkpoint").string(), ck);
  const int n = spec.config.n;
  write_npy(fs::path(dir) / "states.npy", "|u1", {batch, 4 * n}, states.data(), states.size());
  write_npy(fs::path(dir) / "energies.npy", "<f4", {batch}, energies.data(), energies.size() * 4);
  write_npy(fs::path(dir) / "heads.npy", "<f4",
            {batch, 2, calo::nn::kLayers, calo::nn::kAlpha, calo::nn::kRadii}, heads.data(),
            heads.size() * 4);
  write_npy(fs::path(dir) / "u.npy", "<f4", {batch, kVoxels}, u.data(), u.size() * 4);
  const nlohmann::json meta = {{"model", model_name},
                               {"n", n},
                               {"dec_channels", spec.config.dec_channels},
                               {"decoder_attention", spec.config.decoder_attention},
                               {"batch", batch},
                               {"seed", seed},
                               {"decode_seed", decode_seed},
                               {"decoder_params", count_params(model, "decoder.")},
                               {"model_params", count_params(model, "")},
                               {"decode_hits", hits},
                               {"decode_expected_hits", expected_hits}};
  std::ofstream(fs::path(dir) / "meta.json") << meta.dump(1) << "\n";
  std::printf("%s\n", meta.dump().c_str());
  return 0;
}

// Seconds of CPU time used by all of the process's threads: on a loaded node it changes far less
// than the wall time, so A/B comparisons there read it (it counts work, not waiting).
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Median seconds per call of f over at least min_iters calls and min_time seconds (after one
// warm-up call).
template <class F>
double median_seconds(F&& f, int min_iters, double min_time) {
  f();
  std::vector<double> t;
  const auto start = Clock::now();
  while (static_cast<int>(t.size()) < min_iters || seconds_since(start) < min_time) {
    const auto t0 = Clock::now();
    f();
    t.push_back(seconds_since(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double sgemm_gflops(int size, double min_time) {
  std::vector<float> a(size_t(size) * size_t(size)), b(a.size()), c(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = calo::uniform(1, 90, i) - 0.5f;
    b[i] = calo::uniform(1, 91, i) - 0.5f;
  }
  const double s = median_seconds(
      [&] {
        // calo4pq's own GEMM entry: blocked over OpenMP threads around serial OpenBLAS calls
        // under the apps' policy (host/runtime_policy.hpp), as the layers run it.
        calo::nn::ops::gemm(calo::Backend::cpu, false, false, size, size, size, 1.0f, a.data(),
                            b.data(), 0.0f, c.data());
      },
      3, min_time);
  return 2.0 * double(size) * double(size) * double(size) / s * 1e-9;
}

std::vector<int> parse_batches(const std::string& list) {
  std::vector<int> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const int b = std::stoi(item);
    if (b < 1) calo::fail_input("--batches: batch sizes must be positive, got {}", b);
    out.push_back(b);
  }
  return out;
}

int run_time(const std::string& model_name, const std::string& batches, double min_time,
             int min_iters, int sgemm_size, uint64_t seed) {
  const ModelSpec spec = model_spec(model_name);
  Calo4pQVAE model(spec.config);
  randomise_decoder(model, seed);
  const int threads = omp_get_max_threads();
  if (sgemm_size > 0) {
    const nlohmann::json j = {{"impl", "calo4pq"},
                              {"what", "sgemm"},
                              {"size", sgemm_size},
                              {"threads", threads},
                              {"gflops", sgemm_gflops(sgemm_size, min_time)}};
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
  for (int batch : parse_batches(batches)) {
    std::vector<uint8_t> states;
    std::vector<float> energies;
    make_inputs(spec.config.n, batch, seed, states, energies);
    // Each timed call: decode (timed alone), then the inverse transform; e2e = both.
    uint64_t dseed = 0;
    std::vector<float> showers;
    std::vector<double> td, te, tc;
    auto call = [&](bool record) {
      const auto t0 = Clock::now();
      const double c0 = process_cpu_seconds();
      const std::vector<float> u = model.decode(states, energies, ++dseed, 0).to_vector();
      const double d = seconds_since(t0), c = process_cpu_seconds() - c0;
      showers.resize(u.size());
      for (size_t k = 0; k < u.size(); ++k)
        showers[k] = calo::u_to_voxel(u[k], energies[k / kVoxels]);
      if (!record) return;
      td.push_back(d);
      tc.push_back(c);
      te.push_back(seconds_since(t0));
    };
    call(false);  // warm-up: allocations
    const auto start = Clock::now();
    while (static_cast<int>(td.size()) < min_iters || seconds_since(start) < min_time) call(true);
    std::sort(td.begin(), td.end());
    std::sort(te.begin(), te.end());
    std::sort(tc.begin(), tc.end());
    const double t_decode = td[td.size() / 2], t_e2e = te[te.size() / 2];
    const nlohmann::json j = {{"impl", "calo4pq"},
                              {"what", "decode"},
                              {"model", model_name},
                              {"batch", batch},
                              {"threads", threads},
                              {"decode_us", t_decode / batch * 1e6},
                              {"e2e_us", t_e2e / batch * 1e6},
                              {"decode_cpu_us", tc[tc.size() / 2] / batch * 1e6},
                              {"iters", td.size()}};
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  calo::apply_runtime_policy(argc, argv);  // the thread settings calo_gen runs with
  CLI::App app{"decoder_io: inputs, outputs, checkpoint and timings for the PyTorch twin"};
  app.require_subcommand(1);
  std::string model, dir, batches = "256,1024";
  int batch = 64, min_iters = 3, sgemm_size = 2048;
  uint64_t seed = 1, decode_seed = 5;
  double min_time = 1.0;
  auto* w = app.add_subcommand("write", "write a checkpoint, inputs and decoder outputs");
  w->add_option("model", model, "YAML config or bench_gen")->required();
  w->add_option("dir", dir, "output directory")->required();
  w->add_option("--batch", batch, "showers in the batch")->check(CLI::PositiveNumber);
  w->add_option("--seed", seed, "inputs and BatchNorm/PReLU values");
  w->add_option("--decode-seed", decode_seed, "hit sampling seed of u.npy");
  auto* t = app.add_subcommand("time", "time decode and decode + inverse transform");
  t->add_option("model", model, "YAML config or bench_gen")->required();
  t->add_option("--batches", batches, "comma-separated batch sizes");
  t->add_option("--min-time", min_time, "seconds per measurement (after one warm-up call)");
  t->add_option("--min-iters", min_iters, "calls per measurement, at least")
      ->check(CLI::PositiveNumber);
  t->add_option("--sgemm", sgemm_size, "square SGEMM size for the reference rate (0: none)");
  t->add_option("--seed", seed, "inputs and BatchNorm/PReLU values");
  CLI11_PARSE(app, argc, argv);
  try {
    if (w->parsed()) return run_write(model, dir, batch, seed, decode_seed);
    return run_time(model, batches, min_time, min_iters, sgemm_size, seed);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "decoder_io: %s\n", e.what());
    return 1;
  }
}
