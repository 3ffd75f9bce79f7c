// Plots through gnuplot; see plot.h.
#include "runtime/plot.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/atomic_file.h"

namespace minigrad::runtime {
namespace {

// A gnuplot single-quoted string: only the quote itself needs escaping ('').
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// A legend entry: gnuplot's enhanced-text markers (_ ^ @ & { }) shown as they are.
std::string label_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("_^@&{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// Runs `command` with the shell, returning its exit status and what it printed.
std::pair<int, std::string> run_capture(const std::string& command) {
  std::FILE* p = ::popen((command + " </dev/null 2>&1").c_str(), "r");
  if (!p) fail("cannot run '{}'", command);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string terminal_for(const std::filesystem::path& path, size_t panels) {
  int height = 300 + 330 * static_cast<int>(panels);
  if (path.extension() == ".svg") return fmt::format("svg size 1000,{} dynamic background '#ffffff'", height);
  static const bool cairo = run_capture("gnuplot -e 'set terminal pngcairo' ").first == 0;
  return fmt::format("{} size 1000,{}", cairo ? "pngcairo" : "png", height);
}

// Whole-number ticks at a round step (1, 2, 5, 10, 20, 50, ...) giving at most about
// ten ticks, when every x is a whole number (epochs); "" lets gnuplot choose.
std::string integer_xtics(const std::vector<Panel>& panels) {
  double max_x = 0;
  for (const Panel& p : panels)
    for (const Series& s : p.series)
      for (auto [x, y] : s.points) {
        if (x != std::floor(x)) return "";
        max_x = std::max(max_x, x);
      }
  double step = 1;
  for (int i = 0; max_x / step > 10; ++i) step *= i % 3 == 1 ? 2.5 : 2;  // 1 2 5 10 20 50 100 ...
  return fmt::format("set xtics {}\nset format x '%.0f'\n", step);
}

}  // namespace

void check_plot_path(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  if (ext != ".png" && ext != ".svg") fail("{}: a plot is written as .png or .svg", path.string());
}

std::string plot_script(const std::vector<Panel>& panels, const std::string& title, const std::string& terminal,
                        const std::string& output) {
  std::string s = fmt::format("set terminal {}\nset output {}\n", terminal, quoted(output));
  for (size_t p = 0; p < panels.size(); ++p)
    for (size_t i = 0; i < panels[p].series.size(); ++i) {
      s += fmt::format("$d{}_{} << EOD\n", p, i);
      for (auto [x, y] : panels[p].series[i].points) s += fmt::format("{} {}\n", x, y);
      s += "EOD\n";
    }
  s += fmt::format("set multiplot layout {},1 title {} font ',13'\n", panels.size(), quoted(label_text(title)));
  s += integer_xtics(panels);
  s += "set grid\nset key outside right top Left reverse samplen 2\nset rmargin at screen 0.72\nset lmargin at screen 0.08\n";
  for (size_t p = 0; p < panels.size(); ++p) {
    const Panel& panel = panels[p];
    s += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\n", quoted(label_text(panel.title)),
                     quoted(panel.xlabel), quoted(panel.ylabel));
    std::string plots;
    for (size_t i = 0; i < panel.series.size(); ++i)
      plots += fmt::format("{}$d{}_{} using 1:2 with lines linewidth 2 title {}", i ? ", " : "", p, i,
                           quoted(label_text(panel.series[i].label)));
    s += panel.series.empty() ? "plot NaN notitle\n" : "plot " + plots + "\n";
  }
  return s + "unset multiplot\nset output\n";
}

void plot(const std::filesystem::path& path, const std::string& title, const std::vector<Panel>& panels) {
  check_plot_path(path);
  const std::filesystem::path target = resolve_output_path(path, "--plot");
  if (run_capture("gnuplot --version").first != 0)
    fail("{}: plotting needs gnuplot, which is not installed (Debian: apt-get install gnuplot-nox)", path.string());
  std::string tmp = target.string() + fmt::format(".tmp.{}{}", ::getpid(), path.extension().string());
  std::string script_path = tmp + ".gp";
  write_file_atomic(script_path, plot_script(panels, title, terminal_for(path, panels.size()), tmp));
  auto [status, out] = run_capture("gnuplot " + shell_quoted(script_path));
  std::filesystem::remove(script_path);
  if (status != 0 || !std::filesystem::exists(tmp)) {
    std::filesystem::remove(tmp);
    fail("{}: gnuplot failed: {}", path.string(), out);
  }
  std::filesystem::rename(tmp, target);
}

std::vector<Panel> training_panels(const std::vector<std::pair<std::string, std::vector<EpochStats>>>& runs) {
  std::vector<Panel> panels{{"Training loss over epochs", "Epoch", "Loss", {}},
                            {"Training accuracy over epochs", "Epoch", "Accuracy", {}},
                            {"Test accuracy over epochs", "Epoch", "Accuracy", {}}};
  for (const auto& [label, history] : runs) {
    Series loss{label, {}}, acc{label, {}}, test{label, {}};
    for (const EpochStats& e : history) {
      loss.points.emplace_back(e.epoch, e.train_loss);
      acc.points.emplace_back(e.epoch, e.train_accuracy);
      if (e.evaluated) test.points.emplace_back(e.epoch, e.test_accuracy);
    }
    panels[0].series.push_back(loss), panels[1].series.push_back(acc), panels[2].series.push_back(test);
  }
  return panels;
}

}  // namespace minigrad::runtime
