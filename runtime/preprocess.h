// Preprocessing of the features: optional PCA to K features, then an optional scaler.
// Everything is fitted on the training split only and applied unchanged to the test
// split (the seed refitted its scaler on the test split, which leaks test statistics
// into the model); the fitted parameters are kept so a later `predict` applies exactly
// the same transformation to new data.
//
// Order when both are asked: PCA first, on the raw features centred by the training
// mean, then the scaler on the PCA outputs. Scaling raw features first would divide
// near-constant features (the border pixels of digits, almost always 0) by a tiny
// standard deviation, turning their rare non-zero values into huge outliers that then
// dominate the covariance and so the leading components. PCA on raw features keeps
// the directions of real variance; scaling its outputs afterwards gives each retained
// component unit variance (or the [0,1] range) for the optimiser.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "backend/buffer.h"
#include "runtime/dataset.h"

namespace minigrad::runtime {

enum class Scale : uint8_t { None, Standard, MinMax };

std::string_view scale_name(Scale s);  // "none", "standard", "minmax"
Scale parse_scale(std::string_view text);  // Error listing the choices if unknown

struct Preprocessing {
  Scale scale = Scale::None;
  int pca = 0;  // number of PCA components; 0 = no PCA
};

// PCA fitted on a training split: y = (x - mean) W.
struct PcaParams {
  std::vector<double> mean;        // [F]
  std::vector<double> components;  // [F, K] row-major; column k is the k-th component
  std::vector<double> variance;    // [K] population variance of the training data along
                                   // each component, descending
  int64_t in_features = 0, out_features = 0;
};

// Scaler fitted on a training split: y = (x - offset) / divisor, per feature.
// standard: offset = mean, divisor = population std; minmax: offset = min,
// divisor = max - min. A feature constant on the training split gets divisor 1.
struct ScaleParams {
  Scale kind = Scale::None;
  std::vector<double> offset, divisor;  // [F] each; empty for Scale::None
};

struct FittedPreprocessing {
  Preprocessing config;
  int64_t in_features = 0;  // F of the data it was fitted on
  PcaParams pca;            // empty when config.pca == 0
  ScaleParams scale;

  int64_t out_features() const { return config.pca > 0 ? config.pca : in_features; }
};

// Fits `config` on `train_x` (f32 [N,F], N >= 1). Error if config.pca > F or < 0.
FittedPreprocessing fit_preprocessing(const Preprocessing& config, const Buffer& train_x);

// Applies fitted parameters to `x` (f32 [M,F] with the fitted F); returns f32 [M,out].
Buffer apply_preprocessing(const FittedPreprocessing& fitted, const Buffer& x);

// Fits on data.train.x, transforms both splits in place, returns the fitted parameters.
FittedPreprocessing preprocess(Dataset& data, const Preprocessing& config);

}  // namespace minigrad::runtime
