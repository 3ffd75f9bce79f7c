// What a person reads: summaries in the seed's columns, per-epoch metrics files,
// results tables, the progress bar's text, and plots that gnuplot really draws.
#include "runtime/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/plot.h"
#include "runtime/progress.h"
#include "tests/runtime/test_files.h"

namespace minigrad::runtime {
namespace {

using ::testing::HasSubstr;
using testing::error_of;
using testing::read_bytes;
using testing::TempDir;

std::vector<EpochStats> history() {
  return {{1, 2.0, 0.25, 0, 0, false, 1.5, 0, 10}, {2, 1.5, 0.5, 1.25, 0.75, true, 2.5, 0.125, 10}};
}

TEST(Metrics, SummaryHasTheSeedsColumns) {
  RunSummary s = summarize(history());
  EXPECT_EQ(s.epochs, 2);
  EXPECT_EQ(s.train_loss, 1.5);
  EXPECT_EQ(s.train_accuracy, 0.5);
  EXPECT_EQ(s.test_loss, 1.25);
  EXPECT_EQ(s.test_accuracy, 0.75);
  EXPECT_EQ(s.train_seconds, 4.0);
  EXPECT_EQ(s.inference_seconds, 0.125);
}

TEST(Metrics, CsvAndJsonFiles) {
  EXPECT_EQ(metrics_csv(history()),
            "epoch,train_loss,train_accuracy,test_loss,test_accuracy,train_seconds,eval_seconds,steps\n"
            "1,2,0.25,,,1.5,,10\n"
            "2,1.5,0.5,1.25,0.75,2.5,0.125,10\n");
  TempDir dir;
  write_metrics(dir / "m.json", history());
  auto j = nlohmann::json::parse(read_bytes(dir / "m.json"));
  EXPECT_EQ(j[1]["test_accuracy"], 0.75);
  EXPECT_FALSE(j[0].contains("test_loss"));
  EXPECT_THAT(error_of([&] { write_metrics(dir / "m.txt", history()); }), HasSubstr("expected a .csv or .json"));
}

TEST(Metrics, ResultsTables) {
  std::vector<ResultRow> rows{{"g", "a|b", true, "", summarize(history())}, {"g", "x,y", false, "boom\nmore", {}}};
  std::string md = results_markdown(rows);
  EXPECT_THAT(md, HasSubstr("| Configuration | Train loss | Train accuracy | Test loss | Test accuracy | Training time (s) | Inference time (s) |"));
  EXPECT_THAT(md, HasSubstr("| a\\|b | 1.5000 | 50.00% | 1.2500 | 75.00% | 4.00 | 0.1250 |"));
  EXPECT_THAT(md, HasSubstr("| x,y | failed: boom | | | | | |"));
  std::string csv = results_csv(rows);
  EXPECT_THAT(csv, HasSubstr("g,a|b,1.5,0.5,1.25,0.75,4,0.125,\n"));
  EXPECT_THAT(csv, HasSubstr("g,\"x,y\",,,,,,,\"boom\nmore\"\n"));
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(Progress, BarTextAndDurations) {
  EXPECT_EQ(bar_text(5, 10, 123.4, 61, 10), "[#####-----]  5/10  123 steps/s  ETA 1:01");
  EXPECT_EQ(bar_text(0, 10, 0, NAN, 4), "[----]  0/10  0 steps/s  ETA ?");
  EXPECT_EQ(format_duration(3725), "1:02:05");
  EXPECT_EQ(format_duration(59.6), "1:00");
  EXPECT_EQ(epoch_line(history()[1], 3),
            "epoch   2/3  train loss 1.5000 acc  50.00%  test loss 1.2500 acc  75.00%  2.50 s");
}

TEST(Progress, LinesWhenNotATerminal) {
  TempDir dir;
  std::FILE* f = std::fopen((dir / "log").c_str(), "w");
  ASSERT_EQ(progress_mode(f, false), ProgressMode::Lines);
  EXPECT_EQ(progress_mode(f, true), ProgressMode::Quiet);
  Progress p(ProgressMode::Lines, 1, 2, f);
  p.step(1, 10);
  p.epoch(history()[0]);
  std::fclose(f);
  EXPECT_EQ(read_bytes(dir / "log"), epoch_line(history()[0], 2) + "\n") << "no bar, one line per epoch";
}

TEST(Plot, ScriptHoldsTheDataAndEscapesLabels) {
  std::vector<Panel> panels = training_panels({{"run_1 'a'", history()}});
  ASSERT_EQ(panels.size(), 3u);
  std::string s = plot_script(panels, "t", "svg", "out.svg");
  EXPECT_THAT(s, HasSubstr("$d0_0 << EOD\n1 2\n2 1.5\nEOD\n"));
  EXPECT_THAT(s, HasSubstr("$d2_0 << EOD\n2 0.75\nEOD\n")) << "test accuracy only where evaluated";
  EXPECT_THAT(s, HasSubstr("title 'run\\_1 ''a'''"));
  EXPECT_THAT(s, HasSubstr("set xtics 1\n"));
}

TEST(Plot, GnuplotDrawsPngAndSvg) {
  TempDir dir;
  plot(dir / "c.png", "curves", training_panels({{"a", history()}, {"b", history()}}));
  EXPECT_EQ(read_bytes(dir / "c.png").substr(0, 8), "\x89PNG\r\n\x1a\n");
  plot(dir / "c.svg", "curves", training_panels({{"a", history()}}));
  EXPECT_THAT(read_bytes(dir / "c.svg"), HasSubstr("<svg"));
  EXPECT_THAT(error_of([&] { plot(dir / "c.jpg", "x", {}); }), HasSubstr("written as .png or .svg"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 2) << "no temporary files left";
}

}  // namespace
}  // namespace minigrad::runtime
