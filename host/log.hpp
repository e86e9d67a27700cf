#pragma once
// Logging goes through spdlog to stderr so stdout stays clean for tables and machine output.
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace calo {

// level: trace|debug|info|warn|error|off. Unknown names are an InputError.
void init_logging(std::string_view level = "info");

// Replaces every occurrence of `secret` in `text` with "***" (used so that no token reaches a log).
std::string redact(std::string text, std::string_view secret);

}  // namespace calo
