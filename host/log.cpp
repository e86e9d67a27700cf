#include "host/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "host/error.hpp"

namespace calo {

void init_logging(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    fail_input("unknown log level '{}': use trace, debug, info, warn, error or off", level);
  }
  auto logger = spdlog::stderr_color_mt("calo");
  logger->set_pattern("[%H:%M:%S %^%l%$] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(parsed);
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
    text.replace(pos, secret.size(), "***");
  }
  return text;
}

}  // namespace calo
