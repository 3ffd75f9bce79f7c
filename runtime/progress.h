// Progress output of a training run. On a terminal: a bar for the current epoch
// with the step rate and the time left for the whole run, redrawn in place at most
// ten times a second, and one line per finished epoch. Not on a terminal (a log
// file, a pipe): the epoch lines only. Quiet: nothing (the caller prints a summary).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "runtime/trainer.h"

namespace minigrad::runtime {

enum class ProgressMode { Bar, Lines, Quiet };

// Bar when `out` is a terminal, Lines otherwise; Quiet if `quiet`.
ProgressMode progress_mode(std::FILE* out, bool quiet);

// "epoch   3/100  train loss 1.4100 acc  91.47%  test loss 1.4202 acc  90.60%  0.28 s"
std::string epoch_line(const EpochStats& s, int epochs);

// "[#########-----------]  63/125  2140 steps/s  ETA 1:02"
std::string bar_text(int64_t done, int64_t total, double steps_per_second, double eta_seconds, int width = 24);

// "1:02", "1:02:03"
std::string format_duration(double seconds);

class Progress {
 public:
  // Epochs first_epoch..last_epoch will be trained (1-based, inclusive); without
  // `epoch_lines` the bar alone shows them (a sweep prints one line per run instead).
  Progress(ProgressMode mode, int first_epoch, int last_epoch, std::FILE* out = stdout, bool epoch_lines = true);
  void step(int64_t done, int64_t total);  // after each training step
  void epoch(const EpochStats& s);         // after each epoch
  // A line of text that does not garble the bar.
  void print(const std::string& line);
  // Removes the bar from the terminal.
  void clear();

 private:
  using Clock = std::chrono::steady_clock;

  ProgressMode mode_;
  int current_, last_;
  std::FILE* out_;
  Clock::time_point start_, last_draw_;
  int64_t steps_done_ = 0;        // over the whole run, finished epochs
  bool bar_shown_ = false;
  bool started_ = false;
  bool epoch_lines_ = true;
};

}  // namespace minigrad::runtime
