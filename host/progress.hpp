#pragma once
// A one-line progress bar with rate and ETA on stderr. When stderr is not a terminal (CI, logs)
// it prints a plain line every ~10% instead of redrawing.
#include <chrono>
#include <cstdint>
#include <string>

namespace calo {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, std::string unit = "it");
  ~ProgressBar();
  void advance(int64_t n = 1, const std::string& status = "");
  void finish(const std::string& status = "");
  double elapsed_seconds() const;

 private:
  void draw(bool final_line, const std::string& status);
  std::string label_, unit_;
  int64_t total_, done_ = 0;
  int last_decile_ = -1;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace calo
