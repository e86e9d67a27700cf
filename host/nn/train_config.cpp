#include "host/nn/train_config.hpp"

#include <vector>

#include "host/error.hpp"
#include "host/topology/graph.hpp"

namespace calo::nn {

namespace {

LinearSchedule read_schedule(const ConfigNode& n, const char* key, LinearSchedule d) {
  const ConfigNode c = n.optional_child(key);
  LinearSchedule s;
  s.start = c.get<double>("start", d.start);
  s.end = c.get<double>("end", d.end);
  s.epochs = c.get<int>("epochs", d.epochs);
  if (s.epochs < 0) fail_input("{}: must be >= 0", c.where("epochs"));
  return s;
}

}  // namespace

TrainConfig TrainConfig::from_config(const Config& cfg) {
  const ConfigNode root = cfg.root();
  TrainConfig c;
  c.model = ModelConfig::from_config(root.child("model"));
  const ConfigNode t = root.child("training");
  c.seed = static_cast<uint64_t>(t.get<int64_t>("seed"));
  c.epochs = t.get<int>("epochs");
  c.batch_size = t.get<int>("batch_size");
  c.learning_rate = t.get<double>("learning_rate");
  c.learning_rate_end = t.get<double>("learning_rate_end", 0.0);
  c.train_fraction = t.get<double>("train_fraction", 0.8);
  c.test_fraction = t.get<double>("test_fraction", 0.1);
  c.max_events = t.get<int64_t>("max_events", 0);
  c.beta = read_schedule(t, "gumbel_beta", {1.0, 10.0, 1});
  // kl_weight: a number (constant) or a linear schedule {start, end, epochs}.
  {
    bool scalar = true;
    double w = 0.0;
    try {
      w = t.get<double>("kl_weight", 0.0);
    } catch (const InputError&) {
      scalar = false;
    }
    c.kl_weight = scalar ? LinearSchedule{w, w, 0} : read_schedule(t, "kl_weight", {0.0, 0.0, 0});
    if (!(c.kl_weight.start >= 0.0) || !(c.kl_weight.end >= 0.0))
      fail_input("{}: must be >= 0", t.where("kl_weight"));
  }
  c.freeze_after_epoch = t.get<int>("freeze_after_epoch", 0);
  if (c.freeze_after_epoch < 0)
    fail_input("{}: must be >= 0 (0: never freeze), got {}", t.where("freeze_after_epoch"),
               c.freeze_after_epoch);
  const ConfigNode pr = root.optional_child("prior");
  c.prior.topology = pr.get<std::string>("topology", c.prior.topology);
  c.prior.learning_rate = pr.get<double>("learning_rate", c.prior.learning_rate);
  c.prior.cd_sweeps = pr.get<int>("cd_sweeps", c.prior.cd_sweeps);
  {
    const std::string chains = pr.get<std::string>("chains", "data");
    if (chains != "data" && chains != "persistent")
      fail_input("{}: '{}' is not a chain start; use data (CD-k) or persistent (PCD)",
                 pr.where("chains"), chains);
    c.prior.persistent = chains == "persistent";
  }
  if (pr.has("w_std")) {
    std::vector<double> w;
    try {
      w = pr.get<std::vector<double>>("w_std");
    } catch (const InputError&) {
      w.assign(6, pr.get<double>("w_std"));
    }
    if (w.size() != 6)
      fail_input("{}: give one spread or six, for the pairs [01, 02, 03, 12, 13, 23]; got {}",
                 pr.where("w_std"), w.size());
    for (size_t i = 0; i < 6; ++i) {
      if (!(w[i] >= 0.0)) fail_input("{}: spreads must be >= 0", pr.where("w_std"));
      c.prior.w_std[i] = static_cast<float>(w[i]);
    }
  }
  c.prior.b_std = static_cast<float>(pr.get<double>("b_std", c.prior.b_std));
  c.prior.seed = static_cast<uint64_t>(pr.get<int64_t>("seed", static_cast<int64_t>(c.prior.seed)));
  if (c.prior.cd_sweeps < 1) fail_input("{}: must be >= 1", pr.where("cd_sweeps"));
  if (!(c.prior.learning_rate > 0.0)) fail_input("{}: must be > 0", pr.where("learning_rate"));
  (void)parse_topology(c.prior.topology);  // a bad graph spec fails now, naming the value
  c.slope = read_schedule(t, "slope", {0.02, 0.0, 1});
  if (c.epochs < 1) fail_input("{}: must be >= 1, got {}", t.where("epochs"), c.epochs);
  if (c.batch_size < 1 || c.batch_size > 65536)
    fail_input("{}: must be in 1..65536, got {}", t.where("batch_size"), c.batch_size);
  if (!(c.learning_rate > 0.0) || c.learning_rate > 1.0)
    fail_input("{}: must be in (0, 1], got {}", t.where("learning_rate"), c.learning_rate);
  if (!(c.learning_rate_end >= 0.0) || c.learning_rate_end > 1.0)
    fail_input("{}: must be in (0, 1] (or 0: constant rate), got {}", t.where("learning_rate_end"),
               c.learning_rate_end);
  if (!(c.beta.start > 0.0) || !(c.beta.end > 0.0))
    fail_input("{}: beta start/end must be positive", t.where("gumbel_beta"));
  cfg.check_all_keys_used();
  return c;
}

TrainConfig TrainConfig::from_yaml_text(const std::string& text, const std::string& origin) {
  return from_config(Config::load_string(text, origin));
}

}  // namespace calo::nn
