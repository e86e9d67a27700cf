// Writes the seed corpora of the fuzz targets into DIR/<target>/ (binary and generated seeds; the
// text seeds are copied from configs/ and data/binning/ by the same program). The output is
// committed under tests/fuzz/corpus/; rerun after a format change:
//   build/tests/fuzz_make_seeds tests/fuzz/corpus
#include <hdf5.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "host/h5io.hpp"
#include "host/nn/checkpoint.hpp"
#include "host/topology/graph.hpp"
#include "qpu/qp_codec.hpp"
#include "qpu/sapi_client.hpp"
#include "samplers/rbm.hpp"

namespace fs = std::filesystem;
using namespace calo;

namespace {
fs::path g_root;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(g_root / target);
  std::ofstream(g_root / target / name, std::ios::binary) << bytes;
}
std::string tag(uint8_t mode, const std::string& rest) {
  return std::string(1, char(mode)) + rest;
}
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A small CaloChallenge-like file written by raw HDF5 calls (contiguous layout, given types).
std::string raw_h5(const fs::path& path, hid_t e_type, int e_rank, hid_t s_type, int rows,
                   int voxels) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  std::vector<double> e(static_cast<size_t>(rows)), s(static_cast<size_t>(rows) * voxels);
  for (int i = 0; i < rows; ++i) e[size_t(i)] = 1000.0 * (i + 1);
  for (size_t k = 0; k < s.size(); ++k) s[k] = (k % 3 == 0) ? 0.5 * double(k) : 0.0;
  hsize_t ed[2] = {hsize_t(rows), 1}, sd[2] = {hsize_t(rows), hsize_t(voxels)};
  const hid_t es = H5Screate_simple(e_rank, ed, nullptr), ss = H5Screate_simple(2, sd, nullptr);
  const hid_t d1 =
      H5Dcreate2(f, "incident_energies", e_type, es, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t d2 = H5Dcreate2(f, "showers", s_type, ss, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d1, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, e.data());
  H5Dwrite(d2, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, s.data());
  H5Dclose(d1);
  H5Dclose(d2);
  H5Sclose(es);
  H5Sclose(ss);
  H5Fclose(f);
  return slurp(path);
}

std::string writer_h5(const fs::path& path, int rows, int voxels, int gzip) {
  ShowerFileWriter w(path.string(), voxels, 4, gzip);
  std::vector<float> e(static_cast<size_t>(rows)), s(static_cast<size_t>(rows) * voxels, 0.0f);
  for (int i = 0; i < rows; ++i) e[size_t(i)] = 2000.0f * float(i + 1);
  for (size_t k = 0; k < s.size(); k += 2) s[k] = float(k);
  w.append(e, s);
  w.close();
  return slurp(path);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds DIR\n");
    return 2;
  }
  g_root = argv[1];
  const fs::path src(CALO_SOURCE_DIR);
  const fs::path tmp = fs::temp_directory_path() / "calo_make_seeds";
  fs::create_directories(tmp);

  // config: the shipped configs and a minimal one
  for (const auto& e : fs::directory_iterator(src / "configs"))
    put("config", e.path().filename().string(), slurp(e.path()));
  put("config", "tiny.yaml",
      "model:\n  nodes_per_partition: 8\n  encoder_channels: [2, 4, 8, 16]\n  decoder_channels: 2\n"
      "training:\n  seed: 11\n  epochs: 2\n  batch_size: 16\n  learning_rate: 0.03\n"
      "  kl_weight: {start: 0.0, end: 1.0, epochs: 2}\n  gumbel_beta: {start: 1.0, end: 4.0, "
      "epochs: 2}\nprior:\n  topology: chimera:2,2,4\n  chains: persistent\n  w_std: [1, 1, 1, "
      "0.01, 0.01, 0.01]\n");

  // binning: the shipped binning files
  for (const auto& e : fs::directory_iterator(src / "data" / "binning"))
    put("binning", e.path().filename().string(), slurp(e.path()));

  // topology
  int k = 0;
  for (const char* s :
       {"zephyr:2,2", "zephyr:1", "pegasus:2", "pegasus:3", "chimera:2,2,4", "chimera:1"})
    put("topology", "spec" + std::to_string(k++), s);

  // qp_answer: an answer object and a lin/quad problem on chimera:1,1,4
  {
    qpu::QpAnswer a;
    a.num_variables = 8;
    a.active_variables = {0, 1, 2, 4, 5, 7};
    a.solutions = {{1, -1, 1, 1, -1, -1}, {-1, -1, 1, 1, 1, -1}, {1, 1, 1, -1, -1, 1}};
    a.energies = {-3.5, -2.0, 0.25};
    a.num_occurrences = {2, 1, 1};
    a.timing = {{"qpu_access_time", 1234.5}};
    put("qp_answer", "answer", tag(0, qpu::encode_qp_answer(a).dump()));
    nlohmann::json b = qpu::encode_qp_answer(a);
    b.erase("num_occurrences");
    b.erase("timing");
    put("qp_answer", "answer_minimal", tag(2, b.dump()));
    const QubitGraph g = chimera_graph(1, 1, 4);
    qpu::SolverGraph sg;
    for (int64_t q : g.nodes) sg.qubits.push_back(int(q));
    for (const auto& [x, y] : g.edges) sg.couplers.emplace_back(int(x), int(y));
    qpu::IsingProblem p;
    p.h = {{0, 0.5}, {1, -1.0}, {4, 0.25}};
    p.add_J(0, 4, -1.0);
    p.add_J(1, 4, 0.5);
    const qpu::QpData qp = qpu::encode_qp(sg, p);
    put("qp_answer", "problem", tag(1, qp.lin + "\n" + qp.quad));
  }

  // sapi: solver list, solver, submit reply, poll reply, status with answer, error body
  {
    const std::string solver =
        R"({"id":"Advantage2_standin","identity":{"name":"Advantage2_standin","version":{"graph_id":"0123"}},)"
        R"("status":"ONLINE","description":"stand-in","properties":{"num_qubits":8,"qubits":[0,1,2,3,4,5,6,7],)"
        R"("couplers":[[0,4],[0,5],[1,4],[1,5],[2,6],[3,7]],"h_range":[-4,4],"j_range":[-1,1],)"
        R"("topology":{"type":"chimera","shape":[1,1,4]},"parameters":{"num_reads":"reads"}}})";
    put("sapi", "solver_list", tag(0, "[" + solver + "," + solver + "]"));
    put("sapi", "solver", tag(1, solver));
    qpu::QpAnswer a;
    a.num_variables = 8;
    a.active_variables = {0, 4};
    a.solutions = {{1, -1}};
    a.energies = {-1.0};
    a.num_occurrences = {1};
    const nlohmann::json done = {
        {"id", "p1"}, {"status", "COMPLETED"}, {"answer", qpu::encode_qp_answer(a)}};
    put("sapi", "submit_completed", tag(2, nlohmann::json::array({done}).dump()));
    put("sapi", "poll_pending",
        tag(3, R"([{"id":"p1","status":"PENDING","submitted_on":"2026-12-01T00:00:00Z"}])"));
    put("sapi", "problem_completed", tag(4, done.dump()));
    put("sapi", "problem_failed",
        tag(4, R"({"id":"p2","status":"FAILED","error_message":"out of range"})"));
    put("sapi", "submit_rejected", tag(2, R"([{"error_code":400,"error_msg":"h out of range"}])"));
    put("sapi", "error_429", tag(5, R"({"error_code":429,"error_msg":"Too many requests"})"));
    put("sapi", "error_html", tag(5, "<html><body>502 Bad Gateway</body></html>"));
  }

  // checkpoint: params.bin of a zephyr:1,2 RBM (4 nodes per partition) and a state.json
  {
    Rbm r = Rbm::from_graph(zephyr_graph(1, 2), 4);
    r.init_random(3, {0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f}, 0.1f);
    nn::NamedArrays arrays = r.to_named_arrays();
    put("checkpoint", "params_rbm", tag(0, nn::encode_named_arrays(arrays)));
    put("checkpoint", "params_other",
        tag(2, nn::encode_named_arrays({{"enc.conv1.weight", {0.5f, -1.0f, 2.0f}}, {"x", {}}})));
    const std::string metrics =
        R"({"epoch":1,"train_mse":0.5,"train_bce":0.25,"val_mse":0.5,"val_bce":0.3,"beta":1.0,)"
        R"("slope":0.02,"seconds":1.5,"samples_per_s":100.0,"kl_weight":0.0,"frozen":false})";
    put("checkpoint", "state_mid_epoch",
        tag(1, R"({"epoch":1,"next_batch":2,"sum_mse":1.0,"sum_bce":0.5,"sum_entropy":0.0,)"
               R"("sum_pos_energy":0.0,"partial_seconds":0.5,"steps_per_epoch":5,"history":[)" +
                   metrics + "]}"));
    put("checkpoint", "state_start",
        tag(3,
            R"({"epoch":0,"next_batch":0,"sum_mse":0,"sum_bce":0,"partial_seconds":0,"history":[]})"));
  }

  // h5_showers and energies: small files from the writer (chunked, gzip and not) and from raw
  // HDF5 calls (contiguous; float64 showers; 1-D energies)
  {
    const std::string a = writer_h5(tmp / "a.h5", 3, 6, 4);
    const std::string b = writer_h5(tmp / "b.h5", 5, 4, 0);
    const std::string c = raw_h5(tmp / "c.h5", H5T_IEEE_F32LE, 2, H5T_IEEE_F32LE, 4, 5);
    const std::string d = raw_h5(tmp / "d.h5", H5T_IEEE_F64LE, 1, H5T_IEEE_F64LE, 2, 3);
    const std::string e = raw_h5(tmp / "e.h5", H5T_STD_I32LE, 2, H5T_STD_U16LE, 3, 2);
    put("h5_showers", "writer_gzip.h5", a);
    put("h5_showers", "writer_plain.h5", b);
    put("h5_showers", "contiguous_f32.h5", c);
    put("h5_showers", "energies_1d_f64.h5", d);
    put("h5_showers", "integer_types.h5", e);
    put("energies", "writer_gzip", tag(0, a));
    put("energies", "contiguous_first2", tag(4, c));
    put("energies", "energies_1d", tag(0, d));
    std::string opts(1, char(1));
    const int64_t events = 10;
    const double lo = 1e3, hi = 1e6;
    opts.append(reinterpret_cast<const char*>(&events), 8);
    opts.append(reinterpret_cast<const char*>(&lo), 8);
    opts.append(reinterpret_cast<const char*>(&hi), 8);
    put("energies", "events_10", opts);
  }
  fs::remove_all(tmp);
  std::printf("seeds written under %s\n", g_root.c_str());
  return 0;
}
