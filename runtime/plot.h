// Plots of training curves through gnuplot: panels stacked vertically, each with
// one line per series and a legend beside it, written as PNG (the cairo terminal
// when gnuplot has it, else libgd's) or SVG by the file's extension. The data go to
// gnuplot inline, in the script, so nothing but the image is left behind; the image
// is written to a temporary name and renamed, like every result file.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "runtime/trainer.h"

namespace minigrad::runtime {

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y)
};

struct Panel {
  std::string title, xlabel, ylabel;
  std::vector<Series> series;
};

// The gnuplot script that draws `panels` into `output` with `terminal`.
std::string plot_script(const std::vector<Panel>& panels, const std::string& title, const std::string& terminal,
                        const std::string& output);

// Draws `panels` into `path` (.png or .svg). Error if gnuplot is missing or fails.
void plot(const std::filesystem::path& path, const std::string& title, const std::vector<Panel>& panels);

// The seed's figure: training loss and training accuracy per epoch, one line per
// run, plus test accuracy per evaluated epoch.
std::vector<Panel> training_panels(const std::vector<std::pair<std::string, std::vector<EpochStats>>>& runs);

// Error unless `path` ends in .png or .svg (checked before a run starts).
void check_plot_path(const std::filesystem::path& path);

}  // namespace minigrad::runtime
