#include "qpu/solver_filter.hpp"

#include <algorithm>
#include <numeric>
#include <regex>
#include <set>

#include "host/error.hpp"

namespace calo::qpu {

namespace {
const std::set<std::string> kOps = {"eq",       "gt",         "gte",    "lt",
                                    "lte",      "regex",      "in",     "contains",
                                    "issubset", "issuperset", "within", "available"};

// The value at `path` or a discarded json when the solver lacks it.
nlohmann::json lookup(const nlohmann::json& s, const std::vector<std::string>& path) {
  if (path.size() == 1) {
    const std::string& k = path[0];
    if (k == "name") return s.at("identity").at("name");
    if (k == "identity") return s.at("identity");
    if (k == "qpu")
      return s.value("properties", nlohmann::json::object()).value("category", "") == "qpu";
    if (k == "online") return s.value("status", std::string("ONLINE")) == "ONLINE";
    if (k == "status" || k == "avg_load" || k == "description")
      return s.contains(k) ? s[k] : nlohmann::json(nlohmann::json::value_t::discarded);
  }
  const nlohmann::json* cur = &s.at("properties");
  for (const auto& p : path) {
    if (!cur->is_object() || !cur->contains(p))
      return nlohmann::json(nlohmann::json::value_t::discarded);
    cur = &(*cur)[p];
  }
  return *cur;
}

bool compare(const nlohmann::json& v, const std::string& op, const nlohmann::json& want,
             const std::string& key) {
  if (op == "available") return want.is_boolean() && (!v.is_discarded()) == want.get<bool>();
  if (v.is_discarded()) return false;
  const auto numbers = [&] {
    if (!v.is_number() || !want.is_number())
      fail_input("solver filter '{}': needs numbers, got {} and {}", key, v.dump(), want.dump());
  };
  if (op == "eq") return v == want;
  if (op == "gt") return numbers(), v.get<double>() > want.get<double>();
  if (op == "gte") return numbers(), v.get<double>() >= want.get<double>();
  if (op == "lt") return numbers(), v.get<double>() < want.get<double>();
  if (op == "lte") return numbers(), v.get<double>() <= want.get<double>();
  if (op == "regex") {
    if (!want.is_string() || !v.is_string())
      fail_input("solver filter '{}': regex needs a string pattern", key);
    try {
      return std::regex_match(v.get<std::string>(), std::regex(want.get<std::string>()));
    } catch (const std::regex_error& e) {
      fail_input("solver filter '{}': bad regex '{}': {}", key, want.get<std::string>(), e.what());
    }
  }
  if (op == "in") {
    if (!want.is_array()) fail_input("solver filter '{}': 'in' needs a list", key);
    return std::find(want.begin(), want.end(), v) != want.end();
  }
  if (op == "contains") return v.is_array() && std::find(v.begin(), v.end(), want) != v.end();
  if (op == "issubset" || op == "issuperset") {
    if (!want.is_array() || !v.is_array())
      fail_input("solver filter '{}': '{}' needs lists", key, op);
    const auto& small = op == "issubset" ? v : want;
    const auto& big = op == "issubset" ? want : v;
    return std::all_of(small.begin(), small.end(), [&](const auto& x) {
      return std::find(big.begin(), big.end(), x) != big.end();
    });
  }
  if (op == "within") {
    if (!want.is_array() || want.size() != 2)
      fail_input("solver filter '{}': 'within' needs a [lo, hi] pair", key);
    if (v.is_number())
      return v.get<double>() >= want[0].get<double>() && v.get<double>() <= want[1].get<double>();
    if (v.is_array() && v.size() == 2)
      return v[0].get<double>() >= want[0].get<double>() &&
             v[1].get<double>() <= want[1].get<double>();
    return false;
  }
  return false;
}
}  // namespace

bool solver_matches(const nlohmann::json& solver, const nlohmann::json& filter) {
  if (!filter.is_object())
    fail_input("solver filter must be a JSON object, got {}", filter.dump().substr(0, 80));
  for (const auto& [key, want] : filter.items()) {
    if (key == "order_by") continue;
    std::vector<std::string> path;
    for (size_t pos = 0;;) {
      const size_t sep = key.find("__", pos);
      path.push_back(key.substr(pos, sep == std::string::npos ? std::string::npos : sep - pos));
      if (sep == std::string::npos) break;
      pos = sep + 2;
    }
    std::string op = "eq";
    if (path.size() > 1 && kOps.count(path.back())) {
      op = path.back();
      path.pop_back();
    }
    if (!compare(lookup(solver, path), op, want, key)) return false;
  }
  return true;
}

std::vector<size_t> filter_solvers(const nlohmann::json& solvers, const nlohmann::json& filter) {
  std::vector<size_t> out;
  for (size_t i = 0; i < solvers.size(); ++i)
    if (solver_matches(solvers[i], filter)) out.push_back(i);
  if (filter.is_object() && filter.contains("order_by") && !filter["order_by"].is_null()) {
    const auto& ob = filter["order_by"];
    if (!ob.is_string() || (ob != "avg_load" && ob != "-avg_load"))
      fail_input("solver filter: order_by {} is not supported (use \"avg_load\" or \"-avg_load\")",
                 ob.dump());
    const bool desc = ob == "-avg_load";
    std::stable_sort(out.begin(), out.end(), [&](size_t a, size_t b) {
      const double la = solvers[a].value("avg_load", 0.0), lb = solvers[b].value("avg_load", 0.0);
      return desc ? la > lb : la < lb;
    });
  }
  return out;
}

}  // namespace calo::qpu
