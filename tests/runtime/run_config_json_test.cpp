// Run settings as JSON: every field round trips under its flag's name, bad values
// are refused with the key, and settings merge with a checkpoint's as documented.
#include "runtime/run_config_json.h"

#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/runtime/test_files.h"

namespace minigrad::runtime {
namespace {

using ::testing::HasSubstr;
using testing::error_of;

RunConfig unusual() {
  RunConfig c;
  c.model = "mlp";
  c.set = {{"depth", "3"}, {"activation", "relu"}};
  c.data_dir = "d";
  c.epochs = 7, c.batch = 9, c.optimizer = "sgd", c.lr = 0.5, c.weight_decay = 0.25, c.momentum = 0.5;
  c.loss = "mse", c.label_smoothing = 0.125, c.scale = Scale::MinMax, c.pca = 3, c.num_classes = 12, c.seed = 11;
  c.shuffle = false, c.drop_last = true, c.backend = "other", c.eval_batch = 5, c.eval_every = 2;
  c.flush_denormals = true;
  c.pipeline.disabled = {"cse"};
  return c;
}

TEST(RunConfigJson, EveryFieldRoundTrips) {
  nlohmann::json j = to_json(unusual());
  EXPECT_EQ(j["batch_size"], 9);
  EXPECT_EQ(j["scale"], "minmax");
  EXPECT_EQ(j["set"]["depth"], "3");
  RunConfig back;
  apply_json(back, j, "test");
  EXPECT_EQ(to_json(back), j);
  EXPECT_EQ(j.size(), run_config_keys().size());
  EXPECT_NE(to_json(RunConfig{}), j) << "every field differs from its default in this test";
  nlohmann::json defaults = to_json(RunConfig{});
  for (const auto& [k, v] : defaults.items()) EXPECT_NE(j[k], v) << k << " is not exercised";
}

TEST(RunConfigJson, RefusesBadValuesNamingTheKey) {
  RunConfig c;
  EXPECT_THAT(error_of([&] { apply_json(c, {{"lr", "fast"}}, "f.toml"); }), HasSubstr("f.toml: lr = \"fast\": expected a number"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"epochs", 1.5}}, "w"); }), HasSubstr("epochs = 1.5: expected an integer"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"epochs", 0}}, "w"); }), HasSubstr("expected an integer > 0"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"label_smoothing", 2}}, "w"); }), HasSubstr("and <= 1"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"optimizer", "rmsprop"}}, "w"); }), HasSubstr("expected one of adam, adamw, sgd"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"scale", "log"}}, "w"); }), HasSubstr("unknown scaling 'log'"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"colour", 1}}, "w"); }), HasSubstr("unknown setting 'colour'"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"disable_pass", "nonsense"}}, "w"); }), HasSubstr("w: --disable-pass=nonsense: no such pass"));
  std::vector<std::string> unknown;
  apply_json(c, {{"colour", 1}, {"lr", 0.5}}, "w", &unknown);
  EXPECT_EQ(unknown, std::vector<std::string>{"colour"});
  EXPECT_EQ(c.lr, 0.5);
}

// Every number is finite and in its range, and every integer fits its C++ type:
// the same table checks sweep files, checkpoints (apply_json) and flags (check_numbers).
TEST(RunConfigJson, RefusesNonFiniteAndWrappingNumbers) {
  RunConfig c;
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(error_of([&] { apply_json(c, {{"lr", inf}}, "s"); }), HasSubstr("s: lr = inf: expected a finite number > 0"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"momentum", nan}}, "s"); }),
              HasSubstr("s: momentum = nan: expected a finite number >= 0 and <= 0.999999"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"weight_decay", -inf}}, "s"); }), HasSubstr("weight_decay = -inf"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"seed", -1}}, "s"); }),
              HasSubstr("seed = -1: expected an integer >= 0 and <= 9223372036854775807"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"seed", uint64_t(1) << 63}}, "s"); }), HasSubstr("seed = 9223372036854775808"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"epochs", int64_t(3000000000)}}, "s"); }),
              HasSubstr("epochs = 3000000000: expected an integer > 0 and <= 2147483647"));
  EXPECT_THAT(error_of([&] { apply_json(c, {{"pca", int64_t(1) << 40}}, "s"); }), HasSubstr("pca = 1099511627776"));
  EXPECT_EQ(c.lr, RunConfig().lr) << "nothing was set";
  apply_json(c, {{"seed", int64_t(9223372036854775807)}, {"epochs", 2147483647}}, "s");
  EXPECT_EQ(c.seed, uint64_t(9223372036854775807));
  EXPECT_EQ(c.epochs, 2147483647);

  nlohmann::json flags = to_json(RunConfig());
  auto flag = [](const std::string& key) { return "--" + key; };
  check_numbers(flags, flag);
  flags["lr"] = inf;
  EXPECT_THAT(error_of([&] { check_numbers(flags, flag); }), HasSubstr("--lr inf: expected a finite number > 0"));
  flags = to_json(RunConfig()), flags["seed"] = -3;
  EXPECT_THAT(error_of([&] { check_numbers(flags, flag); }), HasSubstr("--seed -3: expected an integer >= 0"));
}

TEST(RunConfigJson, ParameterText) {
  EXPECT_EQ(parameter_text(3), "3");
  EXPECT_EQ(parameter_text(0.2), "0.2");
  EXPECT_EQ(parameter_text(true), "true");
  EXPECT_EQ(parameter_text("relu"), "relu");
}

TEST(RunConfigJson, MergeSavedTakesSavedUnlessGivenAndGuardsFixedKeys) {
  nlohmann::json saved = to_json(unusual());
  RunConfig flags;
  flags.epochs = 20;
  flags.set = {{"depth", "4"}};
  RunConfig all = merge_saved(saved, flags, {"epochs"}, run_config_keys(), {}, "ck");
  EXPECT_EQ(all.epochs, 20) << "given on the command line";
  EXPECT_EQ(all.lr, 0.5) << "saved";
  RunConfig some = merge_saved(saved, flags, {"set"}, {"set", "pca"}, {}, "ck");
  EXPECT_EQ(some.pca, 3);
  EXPECT_EQ(some.lr, flags.lr) << "not taken from the checkpoint";
  EXPECT_EQ(to_json(some)["set"], nlohmann::json({{"depth", "4"}, {"activation", "relu"}})) << "parameters merge";
  EXPECT_THAT(error_of([&] { merge_saved(saved, flags, {"set"}, run_config_keys(), {"set"}, "ck"); }),
              HasSubstr("ck: --set {\"depth\":\"4\"} differs from the checkpoint's"));
  flags.batch = 64;
  EXPECT_THAT(error_of([&] { merge_saved(saved, flags, {"batch_size"}, run_config_keys(), {"batch_size"}, "ck"); }),
              HasSubstr("--batch-size 64 differs from the checkpoint's 9"));
  flags.batch = 9;
  EXPECT_EQ(merge_saved(saved, flags, {"batch_size"}, run_config_keys(), {"batch_size"}, "ck").batch, 9)
      << "an equal value may be repeated";
}

}  // namespace
}  // namespace minigrad::runtime
