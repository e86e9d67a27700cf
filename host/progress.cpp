#include "host/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace calo {

namespace {
std::string format_seconds(double s) {
  if (!(s >= 0) || s > 1e7) return "--:--";
  const int t = static_cast<int>(s + 0.5);
  return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60)
                   : fmt::format("{:02}:{:02}", t / 60, t % 60);
}
}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), tty_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (!finished_ && tty_) std::fputc('\n', stderr);
}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::advance(int64_t n, const std::string& status) {
  done_ += n;
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ > std::chrono::milliseconds(100) || done_ >= total_) {
      last_draw_ = now;
      draw(false, status);
    }
  } else {
    const int decile = total_ > 0 ? static_cast<int>(10 * done_ / total_) : 0;
    if (decile != last_decile_ && decile < 10) {
      last_decile_ = decile;
      draw(false, status);
    }
  }
}

void ProgressBar::finish(const std::string& status) {
  if (finished_) return;
  finished_ = true;
  draw(true, status);
}

void ProgressBar::draw(bool final_line, const std::string& status) {
  const double secs = elapsed_seconds();
  const double rate = secs > 0 ? done_ / secs : 0.0;
  const double frac = total_ > 0 ? static_cast<double>(done_) / total_ : 1.0;
  const double eta = rate > 0 ? (total_ - done_) / rate : -1.0;
  const int width = 28;
  const int filled = static_cast<int>(frac * width);
  std::string bar(filled, '#');
  bar.resize(width, '.');
  const std::string line = fmt::format("{} [{}] {}/{} {:.1f} {}/s elapsed {} eta {}{}{}", label_, bar, done_, total_,
                                       rate, unit_, format_seconds(secs), format_seconds(final_line ? 0 : eta),
                                       status.empty() ? "" : "  ", status);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace calo
