// Checkpoints: PyTorch's names and layouts in the model file, the training state
// beside it, exact round trips, strict loading with errors naming the tensor and
// its expected shape, and the metadata formats (preprocessing, history).
#include "runtime/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/experiment.h"
#include "runtime/safetensors.h"
#include "tests/runtime/product_helpers.h"

namespace minigrad::runtime {
namespace {

using ::testing::HasSubstr;
using testing::error_of;
using testing::same_state;
using testing::TempDir;

// mlp with one hidden layer of 4, batch norm and dropout, for 3 features and 2 classes.
std::unique_ptr<Program> small_program(uint64_t seed) {
  RunConfig c;
  c.model = "mlp";
  c.set = {{"width", "4"}, {"dropout", "0.5"}};
  c.seed = seed;
  return make_program(c, 3, 2, 5);
}

const ir::Module& module_of(Program& p) { return p.compiled_module(p.options().batch); }

template <typename T>
T value_at(const StTensor& t, size_t i) {
  T v;
  std::memcpy(&v, t.data.data() + i * sizeof(T), sizeof(T));
  return v;
}

TEST(Checkpoint, ModelFileHasPyTorchNamesAndLayouts) {
  TempDir dir;
  auto p = small_program(5);
  p->state().get("1.num_batches_tracked").as<int32_t>()[0] = 7;
  save_checkpoint(dir / "m.safetensors", module_of(*p), p->state(), {}, true);
  SafeTensors st = read_safetensors(dir / "m.safetensors");
  std::vector<std::string> names;
  for (const StTensor& t : st.tensors) names.push_back(t.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                                     "1.running_var", "1.num_batches_tracked", "4.weight", "4.bias"));
  const StTensor& w = *st.find("0.weight");  // minigrad [in 3, out 4] -> PyTorch [out 4, in 3]
  EXPECT_EQ(w.shape, (std::vector<int64_t>{4, 3}));
  const float* ours = p->state().get("0.weight").as<float>();
  for (size_t o = 0; o < 4; ++o)
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(value_at<float>(w, o * 3 + i), ours[i * 4 + o]) << o << "," << i;
  EXPECT_EQ(st.find("1.num_batches_tracked")->dtype, StDType::I64);
  EXPECT_EQ(value_at<int64_t>(*st.find("1.num_batches_tracked"), 0), 7);
  EXPECT_EQ(st.metadata.at("format"), "pt");

  SafeTensors train = read_safetensors(training_state_path(dir / "m.safetensors"));
  EXPECT_NE(train.find("step"), nullptr);
  EXPECT_NE(train.find("seed"), nullptr);
  EXPECT_NE(train.find("optim.0.weight.exp_avg"), nullptr);
  EXPECT_EQ(train.find("optim.0.weight.exp_avg")->shape, (std::vector<int64_t>{3, 4})) << "minigrad's own layout";
  EXPECT_EQ(train.find("0.weight"), nullptr);
}

TEST(Checkpoint, TrainingStatePathSitsBeside) {
  EXPECT_EQ(training_state_path("out/m.safetensors"), std::filesystem::path("out/m.train.safetensors"));
  EXPECT_EQ(training_state_path("m.ckpt"), std::filesystem::path("m.ckpt.train.safetensors"));
}

TEST(Checkpoint, RoundTripRestoresEveryStateExactly) {
  TempDir dir;
  auto a = small_program(5);
  a->state().get("step").as<int32_t>()[0] = 11;
  a->state().get("optim.4.bias.exp_avg").as<float>()[1] = 0.125f;
  save_checkpoint(dir / "m.safetensors", module_of(*a), a->state(), {}, true);
  auto b = small_program(99);
  load_model_state(dir / "m.safetensors", module_of(*b), b->state());
  EXPECT_FALSE(same_state(a->state(), b->state())) << "the optimiser state is not loaded yet";
  load_training_state(dir / "m.safetensors", module_of(*b), b->state());
  EXPECT_TRUE(same_state(a->state(), b->state()));
}

// Rewrites the model file of `ckpt` with `edit` applied to its tensors.
void edit_file(const std::filesystem::path& ckpt, const std::function<void(SafeTensors&)>& edit) {
  SafeTensors st = read_safetensors(ckpt);
  edit(st);
  write_safetensors(ckpt, st);
}

TEST(CheckpointErrors, StrictLoadingNamesTheTensorAndExpectedShape) {
  TempDir dir;
  auto p = small_program(1);
  auto f = dir / "m.safetensors";
  auto load_error = [&](const std::function<void(SafeTensors&)>& edit) {
    save_checkpoint(f, module_of(*p), p->state(), {}, false);
    edit_file(f, edit);
    return error_of([&] { load_model_state(f, module_of(*p), p->state()); });
  };
  EXPECT_THAT(load_error([](SafeTensors& st) { std::erase_if(st.tensors, [](auto& t) { return t.name == "1.running_var"; }); }),
              HasSubstr("no tensor '1.running_var' (expected F32 [4])"));
  EXPECT_THAT(load_error([](SafeTensors& st) { st.tensors.push_back({"2.weight", StDType::F32, {1}, std::vector<std::byte>(4)}); }),
              HasSubstr("unexpected tensor '2.weight' [1]"));
  EXPECT_THAT(load_error([](SafeTensors& st) {
                for (auto& t : st.tensors)
                  if (t.name == "0.weight") t.shape = {3, 4};
              }),
              HasSubstr("tensor '0.weight' has shape [3, 4], expected F32 [4, 3]"));
  EXPECT_THAT(load_error([](SafeTensors& st) {
                for (auto& t : st.tensors)
                  if (t.name == "0.bias") t = {"0.bias", StDType::U8, {4}, std::vector<std::byte>(4)};
              }),
              HasSubstr("tensor '0.bias' is U8, expected F32 [4]"));
}

TEST(CheckpointErrors, TrainingStateMustBelongToTheModelFile) {
  TempDir dir;
  auto p = small_program(1);
  auto f = dir / "m.safetensors";
  save_checkpoint(f, module_of(*p), p->state(), {}, false);
  EXPECT_THAT(error_of([&] { load_training_state(f, module_of(*p), p->state()); }),
              HasSubstr("no training state beside it"));
  save_checkpoint(f, module_of(*p), p->state(), {}, true);
  p->state().get("0.bias").as<float>()[0] = 3;
  save_checkpoint(f, module_of(*p), p->state(), {}, false);  // a newer model file, the old training state
  EXPECT_THAT(error_of([&] { load_training_state(f, module_of(*p), p->state()); }),
              HasSubstr("written with another model file"));
}

TEST(CheckpointMeta, PreprocessingRoundTripsExactly) {
  Buffer x(ir::Type{ir::DType::F32, {20, 5}});
  for (int64_t i = 0; i < x.numel(); ++i) x.as<float>()[i] = static_cast<float>(std::sin(0.37 * i) * (1 + i % 5));
  for (Scale s : {Scale::Standard, Scale::MinMax, Scale::None}) {
    FittedPreprocessing fitted = fit_preprocessing({s, 3}, x);
    FittedPreprocessing back =
        preprocessing_from_json(nlohmann::json::parse(preprocessing_to_json(fitted).dump()), "test");
    Buffer a = apply_preprocessing(fitted, x), b = apply_preprocessing(back, x);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.bytes()), 0) << scale_name(s);
    EXPECT_EQ(back.pca.components, fitted.pca.components);
  }
}

TEST(CheckpointMeta, MalformedPreprocessingIsAnError) {
  nlohmann::json j = preprocessing_to_json(fit_preprocessing({Scale::Standard, 0}, Buffer(ir::Type{ir::DType::F32, {2, 2}})));
  j["scale_params"]["divisor"] = {1.0};
  EXPECT_THAT(error_of([&] { preprocessing_from_json(j, "ck"); }), HasSubstr("ck: preprocessing 'divisor' must be a list of 2"));
}

TEST(CheckpointMeta, HistoryAndInfoRoundTrip) {
  TempDir dir;
  auto p = small_program(1);
  CheckpointInfo info;
  info.config = nlohmann::json{{"model", "mlp"}};
  info.in_features = 3, info.num_classes = 2, info.epoch = 2;
  EpochStats e1{1, 1.5, 0.25, 0, 0, false, 0.5, 0, 10}, e2{2, 1.25, 0.5, 1.0, 0.75, true, 0.5, 0.01, 10};
  info.history = {e1, e2};
  save_checkpoint(dir / "m.safetensors", module_of(*p), p->state(), info, false);
  CheckpointInfo back = read_checkpoint_info(dir / "m.safetensors");
  EXPECT_EQ(*back.config, *info.config);
  EXPECT_EQ(back.in_features, 3);
  EXPECT_EQ(back.num_classes, 2);
  EXPECT_EQ(back.epoch, 2);
  ASSERT_EQ(back.history.size(), 2u);
  EXPECT_FALSE(back.history[0].evaluated);
  EXPECT_EQ(back.history[1].test_accuracy, 0.75);
  EXPECT_EQ(back.history[1].train_loss, 1.25);
}

}  // namespace
}  // namespace minigrad::runtime
