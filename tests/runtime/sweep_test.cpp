// Sweep files and sweeps: grids and listed runs expand in the file's order with
// labels and groups, paths resolve against the file, bad files are refused with the
// entry named; a 3-configuration grid trains, a failing run is reported while the
// others finish, and parallel runs give the same results as sequential ones.
#include "runtime/sweep.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/runtime/product_helpers.h"

namespace minigrad::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::error_of;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

std::vector<std::string> labels(const SweepPlan& p) {
  std::vector<std::string> out;
  for (const SweepRun& r : p.runs) out.push_back(r.group.empty() ? r.label : r.group + "/" + r.label);
  return out;
}

SweepPlan plan_of(const TempDir& dir, const std::string& text, const nlohmann::json& overrides = nlohmann::json::object()) {
  write_bytes(dir / "s.toml", text);
  return read_sweep(dir / "s.toml", overrides);
}

TEST(SweepFile, GridExpandsInFileOrderLastKeyFastest) {
  TempDir dir;
  SweepPlan p = plan_of(dir, "[base]\nmodel = 'mlp'\nepochs = 3\nwidth = 16\n[grid]\nlr = [0.1, 0.01]\ndepth = [1, 2]\n");
  EXPECT_EQ(p.name, "s");
  EXPECT_THAT(labels(p), ElementsAre("lr=0.1, depth=1", "lr=0.1, depth=2", "lr=0.01, depth=1", "lr=0.01, depth=2"));
  EXPECT_EQ(p.runs[2].config.lr, 0.01);
  EXPECT_EQ(p.runs[2].config.epochs, 3);
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(p.runs[1].config.set, (P{{"width", "16"}, {"depth", "2"}}));
}

TEST(SweepFile, ListedRunsWithGroupsLabelsAndSetTables) {
  TempDir dir;
  SweepPlan p = plan_of(dir, R"(name = "study"
description = "two groups"
[base]
model = "mlp"
[base.set]
activation = "relu"
[[runs]]
group = "depth"
label = "{depth} hidden"
depth = [0, 1]
[[runs]]
group = "other"
label = "plain"
[[runs]]
group = "other"
batch_size = 8
set = { dropout = 0.5 }
)");
  EXPECT_EQ(p.name, "study");
  EXPECT_EQ(p.description, "two groups");
  EXPECT_THAT(labels(p), ElementsAre("depth/0 hidden", "depth/1 hidden", "other/plain", "other/batch_size=8, set={\"dropout\":0.5}"));
  EXPECT_EQ(p.runs[3].config.batch, 8);
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(p.runs[3].config.set, (P{{"activation", "relu"}, {"dropout", "0.5"}}));
}

TEST(SweepFile, DataPathsResolveAgainstTheFileAndOverridesApply) {
  TempDir dir;
  SweepPlan p = plan_of(dir, "[base]\ndata = 'digits'\n[grid]\nlr = [0.1]\n", {{"epochs", 2}, {"width", 5}});
  EXPECT_EQ(p.runs[0].config.data_dir, (dir.path() / "digits").string());
  EXPECT_EQ(p.runs[0].config.epochs, 2);
  EXPECT_EQ(p.runs[0].config.set[0], (std::pair<std::string, std::string>{"width", "5"}));
  SweepPlan q = plan_of(dir, "[base]\ndata = 'digits'\n[grid]\nlr = [0.1]\n", {{"data", "here"}});
  EXPECT_EQ(q.runs[0].config.data_dir, "here") << "a command-line path is the caller's";
}

TEST(SweepFileErrors, NameTheFileAndEntry) {
  TempDir dir;
  auto err = [&](const std::string& text) { return error_of([&] { plan_of(dir, text); }); };
  EXPECT_THAT(err("[grid]\nlr = [0.1\n"), HasSubstr("s.toml:2:"));
  EXPECT_THAT(err("colour = 'red'\n[grid]\nlr = [1]\n"), HasSubstr("unknown key 'colour'"));
  EXPECT_THAT(err("[base]\nmodel = 'mlp'\n"), HasSubstr("no runs"));
  EXPECT_THAT(err("[grid]\nlr = []\n"), HasSubstr("[grid]: lr is an empty list"));
  EXPECT_THAT(err("[[runs]]\nlr = 'fast'\n"), HasSubstr("[[runs]] #1 (line 1) (lr=fast): lr = \"fast\": expected a number"));
  EXPECT_THAT(err("[[runs]]\nlabel = '{depth}'\nlr = 1\n"), HasSubstr("names {depth}, which this entry does not set"));
  EXPECT_THAT(err("[base]\nepochs = 0\n[grid]\nlr=[1]\n"), HasSubstr("[base]: epochs = 0: expected an integer > 0"));
  EXPECT_THAT(err("runs = 3\n"), HasSubstr("runs must be written [[runs]]"));
  // A `set` that is not a table, before or after a model parameter it would gather.
  EXPECT_THAT(err("[base]\nset = 5\ndepth = 2\n[grid]\nlr=[1]\n"), HasSubstr("[base]: set = 5: expected a table"));
  EXPECT_THAT(err("[grid]\ndepth = 2\nset = [1, 2]\n"), HasSubstr("[grid] (set=1): set = 1: expected a table"));
}

TEST(Sweep, ThreeConfigurationsOneFailingReportedOthersFinish) {
  TempDir dir;
  testing::write_blobs(dir.path());
  SweepPlan p = plan_of(dir, R"([base]
model = "mlp"
data = "."
epochs = 2
batch_size = 16
width = 8
[grid]
activation = ["relu", "swish", "sigmoid"]
)");
  ASSERT_EQ(p.runs.size(), 3u);
  std::vector<size_t> done;
  SweepOptions o;
  o.on_done = [&](size_t i, const SweepResult&) { done.push_back(i); };
  std::vector<SweepResult> r = run_sweep(p, o);
  EXPECT_THAT(done, ElementsAre(0, 1, 2));
  EXPECT_TRUE(r[0].ok);
  EXPECT_FALSE(r[1].ok);
  EXPECT_THAT(r[1].error, HasSubstr("unknown activation 'swish'"));
  EXPECT_TRUE(r[2].ok);
  EXPECT_EQ(r[2].history.size(), 2u);
  EXPECT_EQ(r[2].summary.epochs, 2);

  write_sweep_report(p, r, {1.5, 1}, dir / "out");
  std::string csv = read_bytes(dir / "out" / "results.csv");
  EXPECT_THAT(csv, HasSubstr("Group,Configuration,Train loss,Train accuracy,Test loss,Test accuracy,Training time"));
  EXPECT_THAT(csv, HasSubstr(",activation=swish,,,,,,,"));
  EXPECT_THAT(read_bytes(dir / "out" / "results.md"), HasSubstr("| activation=relu | "));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "curves.png"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "runs" / "01-activation-relu.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "runs" / "02-activation-swish.csv"));
  auto j = nlohmann::json::parse(read_bytes(dir / "out" / "results.json"));
  EXPECT_EQ(j["runs"][2]["summary"]["epochs"], 2);
}

TEST(Sweep, ParallelRunsEqualSequentialRuns) {
  TempDir dir;
  testing::write_blobs(dir.path());
  SweepPlan p = plan_of(dir, "[base]\nmodel = 'mlp'\nbackend = 'interp'\ndata = '.'\nepochs = 2\nwidth = 8\ndropout = 0.2\n"
                             "[grid]\nbatch_size = [8, 16, 32]\n");
  std::vector<SweepResult> one = run_sweep(p, {});
  SweepOptions two;
  two.jobs = 2;
  std::vector<SweepResult> par = run_sweep(p, two);
  for (size_t i = 0; i < p.runs.size(); ++i) {
    ASSERT_TRUE(one[i].ok && par[i].ok) << one[i].error << par[i].error;
    for (size_t e = 0; e < 2; ++e) {
      EXPECT_EQ(one[i].history[e].train_loss, par[i].history[e].train_loss);
      EXPECT_EQ(one[i].history[e].test_loss, par[i].history[e].test_loss);
    }
  }
}

TEST(Sweep, Slugs) {
  EXPECT_EQ(slug("Dropout 0.2, 3 layers"), "dropout-0.2-3-layers");
  EXPECT_EQ(slug("***"), "run");
}

}  // namespace
}  // namespace minigrad::runtime
