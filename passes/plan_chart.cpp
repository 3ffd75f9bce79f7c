// The memory plan as SVG; see plan_chart.h.
#include "passes/plan_chart.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ir/dot.h"
#include "ir/printer.h"

namespace minigrad::passes {
namespace {

constexpr double kWidth = 960, kLeft = 78, kRight = 24, kTop = 56, kPlotHeight = 300, kBottom = 44, kGap = 16;

std::string xml(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

// A tick step of 1, 2 or 5 times a power of ten that gives about `ticks` ticks over `range`.
double nice_step(double range, int ticks) {
  double raw = std::max(range / ticks, 1.0), power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

std::string bytes_text(double b) {
  if (b >= 1024 * 1024) return fmt::format("{:g} MiB", std::round(b / 1024 / 1024 * 100) / 100);
  if (b >= 1024) return fmt::format("{:g} KiB", std::round(b / 1024 * 10) / 10);
  return fmt::format("{:g} B", b);
}

struct Live {
  size_t def = 0, last = 0;
};

std::vector<Live> live_ranges(const ir::Function& f) {
  std::vector<Live> live(static_cast<size_t>(f.num_values()));
  for (size_t i = 0; i < f.size(); ++i) {
    for (ir::ValueId r : f.node(i).results) live[static_cast<size_t>(r)] = {i, i};
    for (ir::ValueId v : f.node(i).operands) live[static_cast<size_t>(v)].last = i;
  }
  return live;
}

// Maps node positions and byte offsets of one function to the panel's pixels.
struct Frame {
  double top, nodes, ymax;
  double x(double node) const { return kLeft + node * (kWidth - kLeft - kRight) / nodes; }
  double y(double bytes) const { return top + kPlotHeight - bytes * kPlotHeight / ymax; }
};

std::string axes(const Frame& fr, const std::string& name) {
  std::string s = fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"#999\"/>\n",
                              kLeft, fr.top, kWidth - kLeft - kRight, kPlotHeight);
  double unit = fr.ymax >= 4096 ? 1024 : 1;  // ticks at whole KiB past 4 KiB
  double ystep = nice_step(fr.ymax / unit, 5) * unit;
  for (double b = 0; b <= fr.ymax; b += ystep)
    s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#e0e0e0\"/>"
                     "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                     kLeft, kWidth - kRight, fr.y(b), kLeft - 4, fr.y(b) + 3, bytes_text(b));
  double xstep = nice_step(fr.nodes, 12);
  for (double i = 0; i <= fr.nodes; i += xstep)
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", fr.x(i),
                     fr.top + kPlotHeight + 13, i);
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">node of @{} (the step's order); "
                   "a bar spans its value's life, from the node that computes it to its last use</text>\n",
                   (kLeft + kWidth - kRight) / 2, fr.top + kPlotHeight + 30, xml(name));
  s += fmt::format("<text transform=\"translate(14,{:.1f}) rotate(-90)\" text-anchor=\"middle\">arena offset</text>\n",
                   fr.top + kPlotHeight / 2);
  return s;
}

// One bar per planned value of f.
std::string bars(const ir::Function& f, const MemoryPlan& plan, const Frame& fr, std::vector<bool>& seen) {
  std::vector<Live> live = live_ranges(f);
  std::vector<int> num = ir::number_values(f);
  std::string s;
  for (ir::ValueId v = 0; v < f.num_values(); ++v) {
    int64_t offset = plan.offset[static_cast<size_t>(v)];
    if (offset < 0) continue;
    const Live& l = live[static_cast<size_t>(v)];
    const ir::Node& n = *f.value(v).def;
    ir::NodeClass c = ir::node_class(n);
    seen[static_cast<size_t>(c)] = true;
    auto bytes = static_cast<int64_t>(f.type(v).bytes());
    double x0 = fr.x(double(l.def)), x1 = fr.x(double(l.last + 1)), y0 = fr.y(double(offset + bytes));
    double h = std::max(fr.y(double(offset)) - y0, 1.5);
    std::string op = n.op == ir::Op::Fused ? "fused " + n.attrs.s("kind") : std::string(n.info().name);
    s += fmt::format("<rect class=\"buffer\" data-value=\"{}\" data-offset=\"{}\" data-bytes=\"{}\" data-live=\"{}..{}\" "
                     "x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" stroke=\"#333\" "
                     "stroke-width=\"0.5\"><title>%{}: {}, {} bytes at offset {}, live over nodes {}..{}; {} {}</title></rect>\n",
                     num[size_t(v)], offset, bytes, l.def, l.last, x0, y0, x1 - x0, h, ir::class_colour(c),
                     num[size_t(v)], ir::to_string(f.type(v)), bytes, offset, l.def, l.last, xml(op),
                     xml(ir::describe_locs(n.locs)));
    if (x1 - x0 > 30 && h > 11)
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"9\">%{}</text>\n",
                       (x0 + x1) / 2, y0 + h / 2 + 3, num[size_t(v)]);
  }
  return s;
}

std::string panel(const PlannedFunction& pf, double top, std::vector<bool>& seen) {
  const ir::Function& f = *pf.function;
  const MemoryPlan& plan = pf.plan;
  size_t count = 0;
  for (int64_t o : plan.offset) count += o >= 0;
  double share = plan.unplanned_bytes > 0 ? 100.0 * double(plan.arena_bytes) / double(plan.unplanned_bytes) : 0;
  Frame fr{top, double(std::max<size_t>(f.size(), 1)), std::max(double(plan.arena_bytes), 64.0) * 1.1};
  std::string s = fmt::format(
      "<g class=\"plan\" data-function=\"{}\" data-peak=\"{}\" data-unplanned=\"{}\" data-buffers=\"{}\">\n"
      "<text x=\"{}\" y=\"{}\" font-size=\"13\" font-weight=\"bold\">@{}: planned peak {} bytes ({})</text>\n"
      "<text x=\"{}\" y=\"{}\" font-size=\"11\">{} buffers; each in a buffer of its own they would take {} bytes "
      "({}): the plan needs {:.1f}% of that</text>\n",
      xml(f.name()), plan.arena_bytes, plan.unplanned_bytes, count, kLeft, top - 24, xml(f.name()), plan.arena_bytes,
      bytes_text(double(plan.arena_bytes)), kLeft, top - 8, count, plan.unplanned_bytes,
      bytes_text(double(plan.unplanned_bytes)), share);
  s += axes(fr, f.name()) + bars(f, plan, fr, seen);
  double peak = fr.y(double(plan.arena_bytes));
  s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#d62728\" stroke-dasharray=\"6,3\"/>"
                   "<text x=\"{1}\" y=\"{3:.1f}\" text-anchor=\"end\" fill=\"#d62728\">peak {4}</text>\n",
                   kLeft, kWidth - kRight, peak, peak - 4, bytes_text(double(plan.arena_bytes)));
  return s + "</g>\n";
}

// A coloured square and the words of each class drawn, three to a row.
std::string legend(const std::vector<bool>& seen, double top) {
  std::string s;
  int k = 0;
  for (int c = 0; c < ir::kNumNodeClasses; ++c) {
    if (!seen[static_cast<size_t>(c)]) continue;
    double x = kLeft + (k % 3) * 290, y = top + (k / 3) * 18;
    auto nc = static_cast<ir::NodeClass>(c);
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\" stroke=\"#333\" stroke-width=\"0.5\"/>"
                     "<text x=\"{}\" y=\"{}\">{}</text>\n",
                     x, y, ir::class_colour(nc), x + 17, y + 10, xml(ir::class_label(nc)));
    ++k;
  }
  return s;
}

}  // namespace

std::string plan_chart_svg(const std::string& title, const std::vector<PlannedFunction>& functions) {
  std::vector<bool> seen(ir::kNumNodeClasses, false);
  std::string body;
  double top = 34 + kTop;
  for (const PlannedFunction& pf : functions) {
    body += panel(pf, top, seen);
    top += kPlotHeight + kBottom + kGap + kTop;
  }
  int classes = static_cast<int>(std::count(seen.begin(), seen.end(), true));
  double height = top - kTop + 8 + ((classes + 2) / 3) * 18;
  return fmt::format(
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1:.0f}\" viewBox=\"0 0 {0} {1:.0f}\" "
             "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"10\">\n"
             "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
             "<text x=\"{2}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{3}</text>\n",
             kWidth, height, kLeft, xml(title)) +
         body + legend(seen, top - kTop) + "</svg>\n";
}

}  // namespace minigrad::passes
