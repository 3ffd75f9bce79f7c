// Tests of load_data_dir: the bundled data/mnist10k, the accepted variants of the
// layout (plain or gzipped files, label shapes and dtypes), and the errors for
// inconsistent or invalid files, each naming the file (and the row for a bad label).
#include "runtime/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "runtime/npy.h"
#include "tests/runtime/test_files.h"

namespace minigrad::runtime {
namespace {

using ::testing::HasSubstr;
using testing::error_of;
using testing::TempDir;

const std::filesystem::path kMnist =
    std::filesystem::path(MINIGRAD_SOURCE_DIR) / "data/mnist10k";

template <typename T>
constexpr NpyDType dtype_of() {
  if constexpr (std::is_same_v<T, uint8_t>) return NpyDType::U8;
  else if constexpr (std::is_same_v<T, int32_t>) return NpyDType::I32;
  else if constexpr (std::is_same_v<T, int64_t>) return NpyDType::I64;
  else if constexpr (std::is_same_v<T, float>) return NpyDType::F32;
  else return NpyDType::F64;
}

template <typename T>
NpyArray array(std::vector<int64_t> shape, std::vector<T> values) {
  NpyArray a;
  a.dtype = dtype_of<T>();
  a.shape = std::move(shape);
  a.data.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

// A valid small data set: train 3x2 float64 data with int64 labels, test 2x2.
struct SmallSet {
  NpyArray train_x = array<double>({3, 2}, {1, 2, 3, 4, 5, 6});
  NpyArray train_y = array<int64_t>({3}, {0, 2, 1});
  NpyArray test_x = array<double>({2, 2}, {7, 8, 9, 10});
  NpyArray test_y = array<int64_t>({2}, {1, 0});

  void write(const TempDir& dir) const {
    write_npy(dir / "train_data.npy", train_x);
    write_npy(dir / "train_label.npy", train_y);
    write_npy(dir / "test_data.npy", test_x);
    write_npy(dir / "test_label.npy", test_y);
  }
};

// The message of loading `dir`; it must name `file` (relative to dir).
std::string load_error(const TempDir& dir, const std::string& file) {
  std::string msg = error_of([&] { load_data_dir(dir.path()); });
  EXPECT_THAT(msg, HasSubstr((dir / file).string()));
  return msg;
}

// ---- The bundled data ----------------------------------------------------------------

// The expected values were read with numpy from the bundled files:
//   /usr/bin/python3 -c "import gzip,io,numpy as np
//   L=lambda n: np.load(io.BytesIO(gzip.open('data/mnist10k/'+n+'.npy.gz').read()))
//   print(L('train_label')[:10], L('test_label')[:10],
//         int(L('train_data')[0].sum()), int(L('test_data')[0].sum()))"
// -> [8 4 7 4 6 2 3 1 3 3] [3 9 5 3 4 1 7 0 7 8] 32313 15849
TEST(BundledMnist, ShapesClassesAndFirstValues) {
  Dataset d = load_data_dir(kMnist);
  EXPECT_EQ(d.train.x.type(), (ir::Type{ir::DType::F32, {8000, 784}}));
  EXPECT_EQ(d.test.x.type(), (ir::Type{ir::DType::F32, {2000, 784}}));
  ASSERT_EQ(d.train.y.size(), 8000u);
  ASSERT_EQ(d.test.y.size(), 2000u);
  EXPECT_EQ(d.num_classes, 10);
  EXPECT_EQ(d.source, kMnist.string());
  std::vector<int32_t> train_first(d.train.y.begin(), d.train.y.begin() + 10);
  std::vector<int32_t> test_first(d.test.y.begin(), d.test.y.begin() + 10);
  EXPECT_EQ(train_first, (std::vector<int32_t>{8, 4, 7, 4, 6, 2, 3, 1, 3, 3}));
  EXPECT_EQ(test_first, (std::vector<int32_t>{3, 9, 5, 3, 4, 1, 7, 0, 7, 8}));
  auto row_sum = [](const Buffer& x, int64_t row) {
    const float* p = x.as<float>() + row * 784;
    return std::accumulate(p, p + 784, 0.0);
  };
  EXPECT_EQ(row_sum(d.train.x, 0), 32313.0);
  EXPECT_EQ(row_sum(d.test.x, 0), 15849.0);
}

TEST(BundledMnist, ValuesAndLabelsInRange) {
  Dataset d = load_data_dir(kMnist);
  for (const Split* s : {&d.train, &d.test}) {
    std::span<const float> x = s->x.span<const float>();
    auto [lo, hi] = std::minmax_element(x.begin(), x.end());
    EXPECT_EQ(*lo, 0.0f);
    EXPECT_EQ(*hi, 255.0f);
    std::vector<int> count(10, 0);
    for (int32_t y : s->y) {
      ASSERT_GE(y, 0);
      ASSERT_LT(y, 10);
      ++count[static_cast<size_t>(y)];
    }
    for (int c : count) EXPECT_GT(c, static_cast<int>(s->y.size()) / 20);  // every class present
  }
}

// ---- Accepted variants -----------------------------------------------------------------

TEST(LoadDataDir, ConvertsDTypesAndCountsClasses) {
  TempDir dir;
  SmallSet set;
  set.train_y = array<int64_t>({3}, {0, 4, 1});  // the classes are those of the training labels
  set.test_y = array<int64_t>({2}, {1, 2});
  set.write(dir);
  Dataset d = load_data_dir(dir.path());
  EXPECT_EQ(d.train.x.type(), (ir::Type{ir::DType::F32, {3, 2}}));
  EXPECT_EQ(d.test.x.as<float>()[3], 10.0f);
  EXPECT_EQ(d.train.y, (std::vector<int32_t>{0, 4, 1}));
  EXPECT_EQ(d.num_classes, 5);
}

// A test label that training never saw would silently add an untrained class: it
// is an Error naming the file, the row and the value; a class count given (a
// checkpoint's model) bounds both splits instead.
TEST(LoadDataDir, RefusesATestLabelOutsideTheTrainingClasses) {
  TempDir dir;
  SmallSet set;
  set.test_y = array<int64_t>({2}, {1, 57});
  set.write(dir);
  std::string msg = error_of([&] { load_data_dir(dir.path()); });
  EXPECT_THAT(msg, HasSubstr((dir / "test_label.npy").string() + ": row 1: label 57 is not a class of the model (3 classes"));
  EXPECT_THAT(msg, HasSubstr("from the largest label of " + (dir / "train_label.npy").string()));
  EXPECT_EQ(load_data_dir(dir.path(), 58).num_classes, 58);
  EXPECT_THAT(error_of([&] { load_data_dir(dir.path(), 2); }),
              HasSubstr((dir / "train_label.npy").string() + ": row 1: label 2 is not a class of the model (2 classes"));
}

TEST(LoadDataDir, LabelsShapedNBy1AndIntegralFloats) {
  TempDir dir;
  SmallSet set;
  set.train_y = array<float>({3, 1}, {2.0f, 0.0f, 1.0f});
  set.test_y = array<int32_t>({2, 1}, {0, 1});
  set.write(dir);
  Dataset d = load_data_dir(dir.path());
  EXPECT_EQ(d.train.y, (std::vector<int32_t>{2, 0, 1}));
  EXPECT_EQ(d.test.y, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(d.num_classes, 3);
}

TEST(LoadDataDir, ReadsGzippedFilesAndPrefersPlainOnes) {
  TempDir dir;
  SmallSet set;
  set.write(dir);
  for (const char* name : {"train_data", "test_label"}) {
    testing::gzip_file(dir / (std::string(name) + ".npy"), dir / (std::string(name) + ".npy.gz"));
    std::filesystem::remove(dir / (std::string(name) + ".npy"));
  }
  Dataset d = load_data_dir(dir.path());
  EXPECT_EQ(d.train.x.as<float>()[5], 6.0f);
  EXPECT_EQ(d.test.y, (std::vector<int32_t>{1, 0}));
  write_npy(dir / "train_data.npy", array<uint8_t>({3, 2}, {9, 9, 9, 9, 9, 9}));  // beside the .gz
  EXPECT_EQ(load_data_dir(dir.path()).train.x.as<float>()[5], 9.0f);
}

// ---- Errors ----------------------------------------------------------------------------

TEST(LoadDataDirErrors, MissingFileListsBothNames) {
  TempDir dir;
  SmallSet().write(dir);
  std::filesystem::remove(dir / "test_label.npy");
  std::string msg = error_of([&] { load_data_dir(dir.path()); });
  EXPECT_THAT(msg, HasSubstr((dir / "test_label.npy").string()));
  EXPECT_THAT(msg, HasSubstr((dir / "test_label.npy.gz").string()));
  EXPECT_THAT(error_of([&] { load_data_dir(dir / "nowhere"); }), HasSubstr("not a data directory"));
}

TEST(LoadDataDirErrors, RowCountsDiffer) {
  TempDir dir;
  SmallSet set;
  set.train_y = array<int64_t>({4}, {0, 1, 1, 0});
  set.write(dir);
  EXPECT_THAT(load_error(dir, "train_label.npy"), HasSubstr("4 labels, but"));
  EXPECT_THAT(load_error(dir, "train_data.npy"), HasSubstr("has 3 rows"));
}

TEST(LoadDataDirErrors, FeatureCountsDiffer) {
  TempDir dir;
  SmallSet set;
  set.test_x = array<double>({2, 3}, {1, 2, 3, 4, 5, 6});
  set.write(dir);
  EXPECT_THAT(load_error(dir, "test_data.npy"), HasSubstr("3 features"));
  EXPECT_THAT(load_error(dir, "train_data.npy"), HasSubstr("has 2"));
}

TEST(LoadDataDirErrors, NegativeLabelGivesRowAndValue) {
  TempDir dir;
  SmallSet set;
  set.test_y = array<int64_t>({2}, {0, -3});
  set.write(dir);
  EXPECT_THAT(load_error(dir, "test_label.npy"), HasSubstr("row 1: label -3 is negative"));
}

TEST(LoadDataDirErrors, NonIntegralLabelGivesRowAndValue) {
  TempDir dir;
  SmallSet set;
  set.train_y = array<double>({3}, {0, 1, 2.5});
  set.write(dir);
  EXPECT_THAT(load_error(dir, "train_label.npy"),
              HasSubstr("row 2: label 2.5 is not an integer"));
  set.train_y = array<double>({3}, {0, std::numeric_limits<double>::quiet_NaN(), 1});
  set.write(dir);
  EXPECT_THAT(load_error(dir, "train_label.npy"),
              HasSubstr("row 1: label nan is not an integer"));
  set.train_y = array<int64_t>({3}, {0, int64_t{1} << 40, 1});
  set.write(dir);
  EXPECT_THAT(load_error(dir, "train_label.npy"),
              HasSubstr("row 1: label 1099511627776 is too large"));
}

TEST(LoadDataDirErrors, BadLabelShape) {
  TempDir dir;
  SmallSet set;
  set.train_y = array<int64_t>({3, 2}, {0, 1, 1, 0, 0, 1});
  set.write(dir);
  EXPECT_THAT(load_error(dir, "train_label.npy"),
              HasSubstr("labels must be shaped (N) or (N, 1), got (3, 2)"));
}

TEST(LoadDataDirErrors, DataMustBeRowsOrImagesAndFinite) {
  TempDir dir;
  SmallSet set;
  set.train_x = array<double>({3}, {1, 2, 3});
  set.write(dir);
  EXPECT_THAT(load_error(dir, "train_data.npy"),
              HasSubstr("expected an array of rank 2 or 3 or 4, got shape (3,)"));
  set.train_x = array<double>({3, 2}, {1, 2, 3, std::numeric_limits<double>::infinity(), 5, 6});
  set.write(dir);
  EXPECT_THAT(load_error(dir, "train_data.npy"),
              HasSubstr("row 1, column 1: value inf is not finite"));
}

TEST(LoadDataDirErrors, EmptySplit) {
  TempDir dir;
  SmallSet set;
  set.test_x = array<double>({0, 2}, {});
  set.test_y = array<int64_t>({0}, {});
  set.write(dir);
  EXPECT_THAT(load_error(dir, "test_data.npy"), HasSubstr("empty split"));
}

}  // namespace
}  // namespace minigrad::runtime
