// Progress output; see progress.h. The time left is estimated from the wall time per
// step so far (evaluation included), times the steps still to run.
#include "runtime/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace minigrad::runtime {

ProgressMode progress_mode(std::FILE* out, bool quiet) {
  if (quiet) return ProgressMode::Quiet;
  return ::isatty(::fileno(out)) ? ProgressMode::Bar : ProgressMode::Lines;
}

std::string epoch_line(const EpochStats& s, int epochs) {
  std::string test = s.evaluated ? fmt::format("test loss {:.4f} acc {:6.2f}%", s.test_loss, 100 * s.test_accuracy)
                                 : std::string(29, ' ');
  return fmt::format("epoch {:>3}/{}  train loss {:.4f} acc {:6.2f}%  {}  {:.2f} s", s.epoch, epochs, s.train_loss,
                     100 * s.train_accuracy, test, s.train_seconds);
}

std::string format_duration(double seconds) {
  auto t = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (t >= 3600) return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}

std::string bar_text(int64_t done, int64_t total, double steps_per_second, double eta_seconds, int width) {
  int filled = total > 0 ? static_cast<int>(width * std::min(done, total) / total) : 0;
  std::string bar = std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '-');
  int digits = static_cast<int>(std::to_string(total).size());
  std::string eta = std::isfinite(eta_seconds) ? format_duration(eta_seconds) : "?";
  return fmt::format("[{}] {:>{}}/{}  {:.0f} steps/s  ETA {}", bar, done, digits, total, steps_per_second, eta);
}

Progress::Progress(ProgressMode mode, int first_epoch, int last_epoch, std::FILE* out, bool epoch_lines)
    : mode_(mode), current_(first_epoch), last_(last_epoch), out_(out), start_(), last_draw_(),
      epoch_lines_(epoch_lines) {}

void Progress::clear() {
  if (!bar_shown_) return;
  fmt::print(out_, "\r\033[K");
  bar_shown_ = false;
}

void Progress::step(int64_t done, int64_t total) {
  if (mode_ != ProgressMode::Bar) return;
  Clock::time_point now = Clock::now();
  if (!started_) start_ = now, started_ = true;  // the rate counts training, not loading and compiling
  if (done < total && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  int64_t run_done = steps_done_ + done;
  double rate = elapsed > 0 ? static_cast<double>(run_done) / elapsed : 0;
  int64_t left = (total - done) + static_cast<int64_t>(last_ - current_) * total;
  double eta = rate > 0 ? static_cast<double>(left) / rate : NAN;
  fmt::print(out_, "\r\033[Kepoch {:>3}/{} {}", current_, last_, bar_text(done, total, rate, eta));
  std::fflush(out_);
  bar_shown_ = true;
}

void Progress::epoch(const EpochStats& s) {
  steps_done_ += s.steps;
  current_ = s.epoch + 1;
  if (mode_ == ProgressMode::Quiet || !epoch_lines_) return;
  clear();
  fmt::print(out_, "{}\n", epoch_line(s, last_));
  std::fflush(out_);
}

void Progress::print(const std::string& line) {
  clear();
  fmt::print(out_, "{}\n", line);
  std::fflush(out_);
}

}  // namespace minigrad::runtime
