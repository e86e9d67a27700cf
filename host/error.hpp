#pragma once
// calo4pq reports every problem as a calo::Error whose message says what went wrong, where
// (file, dataset, key, row) and what to do about it. Apps catch it, print it, and exit non-zero.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace calo {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Bad user input: files, configs, command-line values.
class InputError : public Error {
 public:
  using Error::Error;
};

// A remote service (SAPI) failed or answered something unusable.
class RemoteError : public Error {
 public:
  RemoteError(const std::string& message, long http_status = 0)
      : Error(message), http_status_(http_status) {}
  long http_status() const { return http_status_; }

 private:
  long http_status_;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void fail_input(fmt::format_string<Args...> format, Args&&... args) {
  throw InputError(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace calo

// Checks an internal invariant; the message names the condition and the location.
#define CALO_ASSERT(cond)                                                                  \
  do {                                                                                     \
    if (!(cond))                                                                           \
      throw ::calo::Error(                                                                 \
          ::fmt::format("internal error: {} failed at {}:{}", #cond, __FILE__, __LINE__)); \
  } while (0)
