// Scalers and PCA fitted on the training split; see preprocess.h. Statistics and the
// covariance are accumulated in double; outputs are float32. Eigen stays in this file.
#include "runtime/preprocess.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "ir/error.h"

namespace minigrad::runtime {
namespace {

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMajorD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Eigen::Map<const RowMajorF> matrix(const Buffer& x) {
  return {x.as<float>(), x.type().shape[0], x.type().shape[1]};
}

void check_matrix(const Buffer& x, std::string_view what) {
  const ir::Type& t = x.type();
  if (t.dtype != ir::DType::F32 || t.shape.rank() != 2 || t.shape[0] < 1)
    fail("preprocessing: {} must be f32 [N,F] with N >= 1, got {}", what, ir::to_string(t));
}

// ---- PCA ---------------------------------------------------------------------------

// Makes the largest-magnitude entry of `v` positive (the first one on ties), so the
// sign of each component does not depend on the eigensolver's arbitrary choice.
void fix_sign(Eigen::VectorXd& v) {
  Eigen::Index at = 0;
  v.cwiseAbs().maxCoeff(&at);
  if (v(at) < 0) v = -v;
}

// Covariance C = Xc^T Xc / N of the centred data (population, like the scaler's std);
// its eigenvectors with the K largest eigenvalues are the components.
PcaParams fit_pca(const Buffer& train_x, int k) {
  auto x = matrix(train_x);
  Eigen::RowVectorXd mean = x.cast<double>().colwise().mean();
  RowMajorD centred = x.cast<double>().rowwise() - mean;
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(x.cols(), x.cols());
  cov.selfadjointView<Eigen::Lower>().rankUpdate(centred.transpose(), 1.0 / double(x.rows()));
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);  // reads the lower triangle
  if (eig.info() != Eigen::Success) fail("PCA: the eigensolver did not converge");
  PcaParams p;
  p.in_features = x.cols();
  p.out_features = k;
  p.mean.assign(mean.data(), mean.data() + mean.size());
  RowMajorD w(x.cols(), k);
  for (int j = 0; j < k; ++j) {  // Eigen sorts eigenvalues ascending: take from the end
    Eigen::Index src = x.cols() - 1 - j;
    Eigen::VectorXd v = eig.eigenvectors().col(src);
    fix_sign(v);
    w.col(j) = v;
    p.variance.push_back(std::max(0.0, eig.eigenvalues()(src)));
  }
  p.components.assign(w.data(), w.data() + w.size());
  return p;
}

// The projection's summation order is part of its definition, so that a C program
// (examples/aot/train.c) reproduces it bit for bit from the .prep file:
//   out[r][j] = float( sum over k = 0, 1, ..., F-1 in this order of
//                      (double(x[r][k]) - mean[k]) * w[k][j] ),
// each product rounded to double before it is added (no fused multiply-add: this
// file is compiled with -ffp-contract=off, runtime/CMakeLists.txt) and the sum
// started at +0.0. The loops below keep one accumulator per output (r, j) and visit
// k in order for each; they block rows so each component row w[k][.] is read once
// per block, and vectorise over j, which reassociates nothing.
Buffer apply_pca(const PcaParams& p, const Buffer& x) {
  constexpr int64_t kRowBlock = 8;
  const int64_t n = x.type().shape[0], f = p.in_features, k = p.out_features;
  const float* in = x.as<float>();
  const double* w = p.components.data();
  Buffer out(ir::Type{ir::DType::F32, {n, k}});
  float* o = out.as<float>();
  std::vector<double> acc(static_cast<size_t>(kRowBlock * k));
  for (int64_t r0 = 0; r0 < n; r0 += kRowBlock) {
    const int64_t rows = std::min(kRowBlock, n - r0);
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t i = 0; i < f; ++i) {
      const double* wi = w + i * k;
      for (int64_t r = 0; r < rows; ++r) {
        const double c = double(in[(r0 + r) * f + i]) - p.mean[static_cast<size_t>(i)];
        double* a = acc.data() + r * k;
        for (int64_t j = 0; j < k; ++j) a[j] += c * wi[j];
      }
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < k; ++j) o[(r0 + r) * k + j] = static_cast<float>(acc[static_cast<size_t>(r * k + j)]);
  }
  return out;
}

// ---- Scalers -----------------------------------------------------------------------

// standard: offset = mean, divisor = population std (sqrt of mean squared deviation).
// A feature whose training values are all equal has std 0; it is left centred (its
// training values become 0) and not divided, so the divisor is 1 and test values are
// only shifted. Constancy is tested exactly (max == min) rather than std against a
// tolerance, so a genuine small-variance feature is still scaled.
// minmax: offset = min, divisor = max - min, mapping training values into [0,1]; a
// constant feature gets divisor 1 and so maps to 0. Test values outside the training
// range land outside [0,1]; they are not clipped.
ScaleParams fit_scale(Scale kind, const Buffer& train_x) {
  ScaleParams s;
  s.kind = kind;
  if (kind == Scale::None) return s;
  auto x = matrix(train_x).cast<double>();
  Eigen::RowVectorXd lo = x.colwise().minCoeff(), hi = x.colwise().maxCoeff();
  Eigen::RowVectorXd mean = x.colwise().mean();
  Eigen::RowVectorXd sd =
      ((x.rowwise() - mean).array().square().colwise().sum() / double(x.rows())).sqrt();
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    bool constant = lo(j) == hi(j);
    bool standard = kind == Scale::Standard;
    s.offset.push_back(standard ? mean(j) : lo(j));
    s.divisor.push_back(constant ? 1.0 : standard ? sd(j) : hi(j) - lo(j));
  }
  return s;
}

void apply_scale(const ScaleParams& s, Buffer& x) {
  if (s.kind == Scale::None) return;
  int64_t f = x.type().shape[1];
  float* p = x.as<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    size_t j = static_cast<size_t>(i % f);
    p[i] = static_cast<float>((double(p[i]) - s.offset[j]) / s.divisor[j]);
  }
}

}  // namespace

std::string_view scale_name(Scale s) {
  switch (s) {
    case Scale::None: return "none";
    case Scale::Standard: return "standard";
    case Scale::MinMax: return "minmax";
  }
  return "?";
}

Scale parse_scale(std::string_view text) {
  for (Scale s : {Scale::None, Scale::Standard, Scale::MinMax})
    if (text == scale_name(s)) return s;
  fail("unknown scaling '{}' (choices: none, standard, minmax)", text);
}

FittedPreprocessing fit_preprocessing(const Preprocessing& config, const Buffer& train_x) {
  check_matrix(train_x, "training data");
  FittedPreprocessing fitted;
  fitted.config = config;
  fitted.in_features = train_x.type().shape[1];
  if (config.pca < 0 || config.pca > fitted.in_features)
    fail("PCA to {} features: must be between 1 and the data's {} features (0 = off)",
         config.pca, fitted.in_features);
  if (config.pca == 0) {
    fitted.scale = fit_scale(config.scale, train_x);
    return fitted;
  }
  fitted.pca = fit_pca(train_x, config.pca);
  fitted.scale = fit_scale(config.scale, apply_pca(fitted.pca, train_x));
  return fitted;
}

namespace {
void check_fits(const FittedPreprocessing& fitted, const Buffer& x) {
  check_matrix(x, "data");
  if (x.type().shape[1] != fitted.in_features)
    fail("preprocessing: data has {} features, the preprocessing was fitted on {}",
         x.type().shape[1], fitted.in_features);
}
}  // namespace

Buffer apply_preprocessing(const FittedPreprocessing& fitted, const Buffer& x) {
  check_fits(fitted, x);
  Buffer out = fitted.config.pca > 0 ? apply_pca(fitted.pca, x) : x;
  apply_scale(fitted.scale, out);
  return out;
}

FittedPreprocessing preprocess(Dataset& data, const Preprocessing& config) {
  FittedPreprocessing fitted = fit_preprocessing(config, data.train.x);
  if (config.pca == 0 && config.scale == Scale::None) {  // the identity: checked, nothing copied
    check_fits(fitted, data.test.x);
    return fitted;
  }
  data.train.x = apply_preprocessing(fitted, data.train.x);
  data.test.x = apply_preprocessing(fitted, data.test.x);
  return fitted;
}

}  // namespace minigrad::runtime
