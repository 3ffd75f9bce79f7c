// Tests of the scalers and PCA: fitted on train only (train columns standardised or
// mapped into [0,1]; test transformed with train's parameters, not refitted), PCA on a
// synthetic set with a known dominant direction and on the bundled MNIST, and errors.
#include "runtime/preprocess.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>

#include "tests/runtime/test_files.h"

namespace minigrad::runtime {
namespace {

using ::testing::HasSubstr;
using testing::error_of;

// Uniform in [0,1) from the raw engine output (std's distributions differ between
// standard libraries; the engine does not).
double uniform(std::mt19937_64& g) { return double(g() >> 11) * 0x1.0p-53; }

// Roughly normal (sum of 12 uniforms, mean 0, variance 1).
double normal(std::mt19937_64& g) {
  double s = -6;
  for (int i = 0; i < 12; ++i) s += uniform(g);
  return s;
}

Buffer matrix(int64_t rows, int64_t cols, const std::function<double(int64_t, int64_t)>& f) {
  Buffer b(ir::Type{ir::DType::F32, {rows, cols}});
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) b.as<float>()[i * cols + j] = static_cast<float>(f(i, j));
  return b;
}

float at(const Buffer& b, int64_t i, int64_t j) { return b.as<float>()[i * b.type().shape[1] + j]; }

struct ColumnStats {
  double mean = 0, std = 0, min = 1e300, max = -1e300;
};

ColumnStats column(const Buffer& b, int64_t j) {
  ColumnStats s;
  int64_t n = b.type().shape[0];
  for (int64_t i = 0; i < n; ++i) {
    double v = at(b, i, j);
    s.mean += v / double(n);
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }
  for (int64_t i = 0; i < n; ++i) s.std += std::pow(at(b, i, j) - s.mean, 2) / double(n);
  s.std = std::sqrt(s.std);
  return s;
}

// Train: 200 rows, 4 columns of different offsets and spreads, column 3 constant.
// Test: 50 rows drawn with a shift, so refitting on test would give other numbers.
Dataset synthetic_set() {
  std::mt19937_64 g(7);
  auto value = [&](int64_t, int64_t j) {
    return j == 3 ? 5.0 : 10.0 * double(j) + (1.0 + double(j)) * 3.0 * normal(g);
  };
  Dataset d;
  d.train.x = matrix(200, 4, value);
  d.test.x = matrix(50, 4, [&](int64_t i, int64_t j) { return value(i, j) + 4.0; });
  d.train.y.assign(200, 0);
  d.test.y.assign(50, 0);
  d.num_classes = 1;
  return d;
}

TEST(Scale, StandardFitsOnTrainAndAppliesToTest) {
  Dataset d = synthetic_set();
  Dataset raw = d;
  FittedPreprocessing fitted = preprocess(d, {Scale::Standard, 0});
  for (int64_t j = 0; j < 3; ++j) {
    ColumnStats s = column(d.train.x, j), r = column(raw.train.x, j);
    EXPECT_NEAR(s.mean, 0.0, 1e-5);
    EXPECT_NEAR(s.std, 1.0, 1e-5);
    EXPECT_NEAR(fitted.scale.offset[size_t(j)], r.mean, 1e-4);
    EXPECT_NEAR(fitted.scale.divisor[size_t(j)], r.std, 1e-4);
    for (int64_t i = 0; i < 50; ++i)  // test uses the train mean and std
      EXPECT_NEAR(at(d.test.x, i, j), (at(raw.test.x, i, j) - r.mean) / r.std, 1e-4);
    EXPECT_GT(column(d.test.x, j).mean, 0.3) << "the test split must not be refitted";
  }
  // The constant column is centred (0 on train) and not divided.
  EXPECT_EQ(fitted.scale.divisor[3], 1.0);
  EXPECT_EQ(column(d.train.x, 3).min, 0.0);
  EXPECT_EQ(column(d.train.x, 3).max, 0.0);
  EXPECT_FLOAT_EQ(at(d.test.x, 0, 3), 4.0f);
}

TEST(Scale, MinMaxFitsOnTrainAndAppliesToTest) {
  Dataset d = synthetic_set();
  Dataset raw = d;
  preprocess(d, {Scale::MinMax, 0});
  for (int64_t j = 0; j < 3; ++j) {
    ColumnStats s = column(d.train.x, j), r = column(raw.train.x, j);
    EXPECT_EQ(s.min, 0.0);
    EXPECT_NEAR(s.max, 1.0, 1e-6);
    for (int64_t i = 0; i < 50; ++i)
      EXPECT_NEAR(at(d.test.x, i, j), (at(raw.test.x, i, j) - r.min) / (r.max - r.min), 1e-5);
  }
  EXPECT_EQ(column(d.train.x, 3).max, 0.0);  // constant features map to 0
  EXPECT_GT(column(d.test.x, 1).max, 1.0);   // test values are not clipped into [0,1]
}

// Without PCA or scaling the splits stay where they are (a 25 MB training set is
// not copied), with the same bytes.
TEST(Scale, NoneLeavesTheDataAlone) {
  Dataset d = synthetic_set();
  Dataset raw = d;
  const void *train_at = d.train.x.data(), *test_at = d.test.x.data();
  preprocess(d, {});
  EXPECT_EQ(d.train.x.data(), train_at);
  EXPECT_EQ(d.test.x.data(), test_at);
  EXPECT_EQ(std::memcmp(d.train.x.data(), raw.train.x.data(), raw.train.x.bytes()), 0);
  EXPECT_EQ(std::memcmp(d.test.x.data(), raw.test.x.data(), raw.test.x.bytes()), 0);
}

TEST(Scale, Names) {
  EXPECT_EQ(parse_scale("standard"), Scale::Standard);
  EXPECT_EQ(parse_scale("minmax"), Scale::MinMax);
  EXPECT_EQ(parse_scale("none"), Scale::None);
  EXPECT_EQ(scale_name(Scale::MinMax), "minmax");
  EXPECT_THAT(error_of([] { parse_scale("zscore"); }),
              HasSubstr("unknown scaling 'zscore' (choices: none, standard, minmax)"));
}

// ---- PCA -----------------------------------------------------------------------------

// 3-D points spread mostly along d = (3, -6, 2)/7 (std 10), a little along a second
// direction e = (2, 3, 6)/7 (std 2), and barely along the third f = (6, 2, -3)/7
// (std 0.1); d, e, f are orthonormal.
Buffer line_cloud(int64_t n, uint64_t seed, double shift) {
  std::mt19937_64 g(seed);
  const double d[3] = {3.0 / 7, -6.0 / 7, 2.0 / 7}, e[3] = {2.0 / 7, 3.0 / 7, 6.0 / 7},
               f[3] = {6.0 / 7, 2.0 / 7, -3.0 / 7};
  Buffer b(ir::Type{ir::DType::F32, {n, 3}});
  for (int64_t i = 0; i < n; ++i) {
    double t = 10 * normal(g), u = 2 * normal(g), w = 0.1 * normal(g);
    for (int j = 0; j < 3; ++j)
      b.as<float>()[i * 3 + j] = float(shift + t * d[j] + u * e[j] + w * f[j]);
  }
  return b;
}

double component(const PcaParams& p, int64_t feature, int64_t k) {
  return p.components[size_t(feature * p.out_features + k)];
}

TEST(Pca, FindsTheDominantDirection) {
  Buffer train = line_cloud(4000, 1, 3.0);
  FittedPreprocessing fitted = fit_preprocessing({Scale::None, 3}, train);
  const PcaParams& p = fitted.pca;
  ASSERT_EQ(p.out_features, 3);
  // Sign convention: the largest-magnitude entry of d is -6/7, so the component is -d;
  // e's largest entry is already positive.
  EXPECT_NEAR(component(p, 0, 0), -3.0 / 7, 0.01);
  EXPECT_NEAR(component(p, 1, 0), 6.0 / 7, 0.01);
  EXPECT_NEAR(component(p, 2, 0), -2.0 / 7, 0.01);
  EXPECT_NEAR(component(p, 0, 1), 2.0 / 7, 0.01);
  EXPECT_NEAR(component(p, 2, 1), 6.0 / 7, 0.01);
  EXPECT_NEAR(std::sqrt(p.variance[0]), 10.0, 0.5);
  EXPECT_NEAR(std::sqrt(p.variance[1]), 2.0, 0.1);
  EXPECT_NEAR(std::sqrt(p.variance[2]), 0.1, 0.01);
  for (int64_t k = 0; k < 3; ++k) {  // the largest |entry| of each component is positive
    int64_t big = 0;
    for (int64_t f = 1; f < 3; ++f)
      if (std::abs(component(p, f, k)) > std::abs(component(p, big, k))) big = f;
    EXPECT_GT(component(p, big, k), 0.0) << "component " << k;
  }
}

TEST(Pca, ComponentsAreOrthonormal) {
  FittedPreprocessing fitted = fit_preprocessing({Scale::None, 3}, line_cloud(500, 2, 0.0));
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t b = 0; b < 3; ++b) {
      double dot = 0;
      for (int64_t f = 0; f < 3; ++f)
        dot += component(fitted.pca, f, a) * component(fitted.pca, f, b);
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-9) << a << "," << b;
    }
}

TEST(Pca, ProjectsBothSplitsWithTheTrainFit) {
  Dataset d;
  d.train.x = line_cloud(1000, 3, 1.0);
  d.test.x = line_cloud(300, 4, 1.0);
  Buffer raw_test = d.test.x;
  FittedPreprocessing fitted = preprocess(d, {Scale::None, 2});
  EXPECT_EQ(d.train.x.type(), (ir::Type{ir::DType::F32, {1000, 2}}));
  EXPECT_EQ(d.test.x.type(), (ir::Type{ir::DType::F32, {300, 2}}));
  ColumnStats c0 = column(d.train.x, 0), c1 = column(d.train.x, 1);
  EXPECT_NEAR(c0.mean, 0.0, 1e-4);
  EXPECT_GT(c0.std, c1.std);  // projected train variance in descending order
  EXPECT_NEAR(c0.std * c0.std, fitted.pca.variance[0], 1e-3 * fitted.pca.variance[0]);
  for (int64_t k = 0; k < 2; ++k) {  // test row 0 projected with the train mean
    double y = 0;
    for (int64_t f = 0; f < 3; ++f)
      y += (at(raw_test, 0, f) - fitted.pca.mean[size_t(f)]) * component(fitted.pca, f, k);
    EXPECT_NEAR(at(d.test.x, 0, k), y, 1e-4);
  }
}

TEST(Pca, ThenStandardScalesTheComponents) {
  Dataset d;
  d.train.x = line_cloud(1000, 5, 0.0);
  d.test.x = line_cloud(10, 6, 0.0);
  FittedPreprocessing fitted = preprocess(d, {Scale::Standard, 2});
  EXPECT_EQ(fitted.out_features(), 2);
  for (int64_t k = 0; k < 2; ++k) {
    EXPECT_NEAR(column(d.train.x, k).mean, 0.0, 1e-5);
    EXPECT_NEAR(column(d.train.x, k).std, 1.0, 1e-5);
    EXPECT_NEAR(fitted.scale.divisor[size_t(k)], std::sqrt(fitted.pca.variance[size_t(k)]), 1e-3);
  }
}

TEST(Pca, OnBundledMnist) {
  Dataset d = load_data_dir(std::filesystem::path(MINIGRAD_SOURCE_DIR) / "data/mnist10k");
  FittedPreprocessing fitted = preprocess(d, {Scale::Standard, 128});
  EXPECT_EQ(d.train.x.type(), (ir::Type{ir::DType::F32, {8000, 128}}));
  EXPECT_EQ(d.test.x.type(), (ir::Type{ir::DType::F32, {2000, 128}}));
  for (size_t k = 1; k < fitted.pca.variance.size(); ++k)
    EXPECT_GE(fitted.pca.variance[k - 1], fitted.pca.variance[k]);
  EXPECT_GT(fitted.pca.variance[127], 0.0);
  EXPECT_NEAR(column(d.train.x, 0).std, 1.0, 1e-4);
  EXPECT_NEAR(column(d.train.x, 127).std, 1.0, 1e-4);
}

TEST(PreprocessErrors, BadComponentCountOrFeatureCount) {
  Buffer x = line_cloud(10, 1, 0.0);
  EXPECT_THAT(error_of([&] { fit_preprocessing({Scale::None, 4}, x); }),
              HasSubstr("PCA to 4 features: must be between 1 and the data's 3 features"));
  EXPECT_THAT(error_of([&] { fit_preprocessing({Scale::None, -1}, x); }), HasSubstr("PCA to -1"));
  FittedPreprocessing fitted = fit_preprocessing({Scale::Standard, 0}, x);
  Buffer other(ir::Type{ir::DType::F32, {2, 5}});
  EXPECT_THAT(error_of([&] { apply_preprocessing(fitted, other); }),
              HasSubstr("data has 5 features, the preprocessing was fitted on 3"));
  Buffer ints(ir::Type{ir::DType::I32, {2, 3}});
  EXPECT_THAT(error_of([&] { fit_preprocessing({}, ints); }), HasSubstr("must be f32 [N,F]"));
  for (Preprocessing config : {Preprocessing{}, Preprocessing{Scale::Standard, 0}}) {  // the identity checks too
    Dataset d = synthetic_set();
    d.test.x = other;
    EXPECT_THAT(error_of([&] { preprocess(d, config); }), HasSubstr("data has 5 features, the preprocessing was fitted on"));
  }
}

}  // namespace
}  // namespace minigrad::runtime
