// SapiConfig::from_environment: dwave.conf and environment lookup the way dwave-cloud-client does
// (config/loaders.py), see qpu/sapi_client.hpp.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/ranges.h>

#include "host/error.hpp"
#include "qpu/sapi_client.hpp"

namespace calo::qpu {

namespace {
using Sections = std::map<std::string, std::map<std::string, std::string>>;

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// Candidate files, lowest priority first (homebase on Linux: system, user, then local).
std::vector<std::string> config_files() {
  if (const std::string f = env("DWAVE_CONFIG_FILE"); !f.empty()) {
    if (!std::filesystem::exists(f))
      fail_input("DWAVE_CONFIG_FILE names '{}', which does not exist; fix the path or unset it", f);
    return {f};
  }
  std::vector<std::string> out;
  std::string dirs = env("XDG_CONFIG_DIRS");
  if (dirs.empty()) dirs = "/etc/xdg";
  std::vector<std::string> system;
  std::stringstream ss(dirs);
  for (std::string d; std::getline(ss, d, ':');)
    if (!d.empty()) system.push_back(d + "/dwave/dwave.conf");
  out.insert(out.end(), system.rbegin(), system.rend());  // the first listed dir wins
  if (const std::string x = env("XDG_CONFIG_HOME"); !x.empty())
    out.push_back(x + "/dwave/dwave.conf");
  else if (const std::string home = env("HOME"); !home.empty())
    out.push_back(home + "/.config/dwave/dwave.conf");
  out.push_back("./dwave.conf");
  std::vector<std::string> existing;
  for (const auto& f : out)
    if (std::filesystem::is_regular_file(f)) existing.push_back(f);
  return existing;
}

// INI like Python's configparser: [section], key = value or key: value, # and ; comments,
// indented lines continue the previous value. Later files override earlier ones key by key.
void read_ini(const std::string& path, Sections& sections, std::vector<std::string>& order,
              std::map<std::string, std::string>& origin) {
  std::ifstream in(path);
  if (!in) fail_input("cannot read D-Wave config file '{}'", path);
  std::string raw, section, last_key;
  int lineno = 0;
  while (std::getline(in, raw)) {
    ++lineno;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (!raw.empty() && (raw[0] == ' ' || raw[0] == '\t') && !last_key.empty()) {
      sections[section][last_key] += "\n" + line;
      continue;
    }
    if (line.front() == '[') {
      const auto close = line.find(']');
      if (close == std::string::npos) fail_input("{}:{}: section header lacks ']'", path, lineno);
      section = trim(line.substr(1, close - 1));
      if (!sections.count(section)) order.push_back(section);
      sections[section];
      last_key.clear();
      continue;
    }
    const auto eq = line.find_first_of("=:");
    if (eq == std::string::npos)
      fail_input(
          "{}:{}: expected '[section]' or 'key = value' (the line is not shown: it may hold "
          "a token)",
          path, lineno);
    if (section.empty())
      fail_input("{}:{}: key '{}' comes before any [section]; put it under [defaults]", path,
                 lineno, trim(line.substr(0, eq)));
    last_key = trim(line.substr(0, eq));
    sections[section][last_key] = trim(line.substr(eq + 1));
    origin[section + "." + last_key] = fmt::format("{}:{}", path, lineno);
  }
}

double parse_seconds(const std::string& text, const std::string& where, const std::string& key) {
  // request_timeout may be "60" or a (connect, read) pair "5, 60" / "(5, 60)": use the larger.
  std::string t = text;
  for (char& c : t)
    if (c == '(' || c == ')' || c == ',') c = ' ';
  std::stringstream ss(t);
  double best = -1, v;
  int n = 0;
  while (ss >> v) {
    best = std::max(best, v);
    ++n;
  }
  if (!ss.eof() || n == 0 || n > 2 || !(best > 0))
    fail_input("{}: '{}' = '{}' is not a positive number of seconds (or a 'connect, read' pair)",
               where, key, text.size() > 40 ? text.substr(0, 40) + "..." : text);
  return best;
}
}  // namespace

SapiConfig SapiConfig::from_environment() {
  SapiConfig c;
  Sections sections;
  std::vector<std::string> order;
  std::map<std::string, std::string> origin;
  const auto files = config_files();
  for (const auto& f : files) read_ini(f, sections, order, origin);

  std::string profile = env("DWAVE_PROFILE");
  if (profile.empty() && sections["defaults"].count("profile"))
    profile = sections["defaults"]["profile"];
  if (profile.empty())
    for (const auto& name : order)
      if (name != "defaults") {
        profile = name;
        break;
      }
  if (!profile.empty() && profile != "defaults" && !sections.count(profile) && !files.empty())
    fail_input("D-Wave config profile '{}' is not in {}; pick one of the sections there", profile,
               fmt::join(files, ", "));
  std::map<std::string, std::string> file = sections["defaults"];
  if (sections.count(profile))
    for (const auto& [k, v] : sections[profile]) file[k] = v;
  const auto where = [&](const std::string& key) {
    for (const std::string& s : {profile, std::string("defaults")})
      if (origin.count(s + "." + key)) return origin.at(s + "." + key);
    return std::string("dwave.conf");
  };

  // Environment over file; endpoint and region exclude each other across levels.
  static const std::map<std::string, std::string> env_keys = {
      {"DWAVE_API_TOKEN", "token"},
      {"DWAVE_API_ENDPOINT", "endpoint"},
      {"DWAVE_API_REGION", "region"},
      {"DWAVE_API_SOLVER", "solver"},
      {"DWAVE_API_CLIENT", "client"},
      {"DWAVE_API_PROXY", "proxy"},
      {"DWAVE_METADATA_API_ENDPOINT", "metadata_api_endpoint"}};
  std::map<std::string, std::string> from_env;
  for (const auto& [var, key] : env_keys)
    if (const std::string v = env(var.c_str()); !v.empty()) from_env[key] = v;
  if (from_env.count("endpoint") || from_env.count("region")) {
    file.erase("endpoint");
    file.erase("region");
  }
  std::map<std::string, std::string> all = file;
  for (const auto& [k, v] : from_env) all[k] = v;
  const auto get = [&](const std::string& key) {
    auto it = all.find(key);
    return it == all.end() ? std::string() : trim(it->second);
  };

  c.token = get("token");
  if (!get("endpoint").empty()) {
    c.endpoint = get("endpoint");
  } else if (!get("region").empty()) {
    c.endpoint.clear();  // resolved through the Metadata API by SapiClient
    c.region = get("region");
  }
  if (!get("metadata_api_endpoint").empty()) c.metadata_endpoint = get("metadata_api_endpoint");
  c.solver = get("solver");
  c.client = get("client");
  c.proxy = get("proxy");
  if (const std::string t = get("request_timeout"); !t.empty())
    c.timeout_s = parse_seconds(t, where("request_timeout"), "request_timeout");
  if (const std::string t = get("polling_timeout"); !t.empty() && t != "None")
    c.wait_timeout_s = parse_seconds(t, where("polling_timeout"), "polling_timeout");
  if (!c.client.empty() && c.client != "base" && c.client != "qpu")
    fail_input(
        "{}: client = '{}' is not supported here (calo4pq samples QPU solvers: use 'qpu' or "
        "'base')",
        where("client"), c.client);
  c.source = files.empty() ? std::string("environment")
                           : fmt::format("{} (profile '{}')", fmt::join(files, ", "),
                                         profile.empty() ? "defaults" : profile);
  return c;
}

}  // namespace calo::qpu
