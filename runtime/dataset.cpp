// The data-directory loader; see dataset.h.
#include "runtime/dataset.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/npy.h"

namespace minigrad::runtime {
namespace {

// dir/NAME.npy if it exists, else dir/NAME.npy.gz; an Error listing both otherwise.
std::filesystem::path find_npy(const std::filesystem::path& dir, const std::string& name) {
  std::filesystem::path plain = dir / (name + ".npy"), gz = dir / (name + ".npy.gz");
  std::error_code ec;
  if (std::filesystem::is_regular_file(plain, ec)) return plain;
  if (std::filesystem::is_regular_file(gz, ec)) return gz;
  fail("{}: missing {}: neither {} nor {} exists", dir.string(), name, plain.string(), gz.string());
}

// Rows of features: [N, F], or images [N, C, H, W] (or [N, H, W]) read as rows of
// their C H W values in C order, which an image model reshapes back (nn::Unflatten).
Buffer load_features(const std::filesystem::path& path) {
  NpyArray a = read_npy(path, {2, 3, 4});
  if (a.numel() == 0) fail("{}: empty split: data shape {}", path.string(), shape_string(a.shape));
  if (a.shape.size() > 2) a.shape = {a.shape[0], a.numel() / a.shape[0]};
  Buffer x = to_buffer(a, ir::DType::F32, path.string());
  int64_t f = a.shape[1];
  const float* p = x.as<float>();
  for (int64_t i = 0; i < x.numel(); ++i)
    if (!std::isfinite(p[i]))
      fail("{}: row {}, column {}: value {} is not finite", path.string(), i / f, i % f, p[i]);
  return x;
}

// One label, read as a double (exact for every integer dtype up to 2^53), checked.
int32_t check_label(double v, int64_t row, const std::string& file) {
  if (!std::isfinite(v) || v != std::floor(v))
    fail("{}: row {}: label {} is not an integer", file, row, v);
  if (v < 0) fail("{}: row {}: label {} is negative (labels are class indices >= 0)", file, row, v);
  if (v >= std::numeric_limits<int32_t>::max())
    fail("{}: row {}: label {} is too large for a class index", file, row, v);
  return static_cast<int32_t>(v);
}

std::vector<int32_t> load_labels(const std::filesystem::path& path) {
  std::string file = path.string();
  NpyArray a = read_npy(path, {1, 2});
  if (a.shape.size() == 2 && a.shape[1] != 1)
    fail("{}: labels must be shaped (N) or (N, 1), got {}", file, shape_string(a.shape));
  if (a.numel() == 0) fail("{}: empty split: labels shape {}", file, shape_string(a.shape));
  Buffer as_double = to_buffer(a, ir::DType::F64, file);
  std::vector<int32_t> y(static_cast<size_t>(a.numel()));
  const double* v = as_double.as<double>();
  for (size_t i = 0; i < y.size(); ++i) y[i] = check_label(v[i], static_cast<int64_t>(i), file);
  return y;
}

struct SplitFiles {
  std::filesystem::path data, label;
};

SplitFiles find_split(const std::filesystem::path& dir, const std::string& which) {
  return {find_npy(dir, which + "_data"), find_npy(dir, which + "_label")};
}

Split load_split(const SplitFiles& files) {
  Split s{load_features(files.data), load_labels(files.label)};
  if (static_cast<int64_t>(s.y.size()) != s.rows())
    fail("{}: {} labels, but {} has {} rows", files.label.string(), s.y.size(),
         files.data.string(), s.rows());
  return s;
}

// Every label of `s` must be a class of the model: 0..classes-1. `why` says where
// the class count came from.
void check_classes(const Split& s, int64_t classes, const std::filesystem::path& file, const std::string& why) {
  for (size_t i = 0; i < s.y.size(); ++i)
    if (s.y[i] >= classes)
      fail("{}: row {}: label {} is not a class of the model ({} classes, 0..{}, {})", file.string(), i, s.y[i],
           classes, classes - 1, why);
}

}  // namespace

Dataset load_data_dir(const std::filesystem::path& dir, int64_t num_classes, const std::string& source) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail("{}: not a data directory", dir.string());
  SplitFiles train = find_split(dir, "train"), test = find_split(dir, "test");
  Dataset d;
  d.source = dir.string();
  d.train = load_split(train);
  d.test = load_split(test);
  if (d.train.features() != d.test.features())
    fail("{}: {} features, but {} has {}", test.data.string(), d.test.features(),
         train.data.string(), d.train.features());
  // The classes are those of the training labels (or the count given): a test label
  // that training never saw would otherwise add a class no step ever trained.
  std::string why = source;
  if (num_classes <= 0) {
    num_classes = int64_t(*std::max_element(d.train.y.begin(), d.train.y.end())) + 1;
    why = fmt::format("from the largest label of {}", train.label.string());
  } else {
    check_classes(d.train, num_classes, train.label, why);
  }
  check_classes(d.test, num_classes, test.label, why);
  d.num_classes = static_cast<int>(num_classes);
  return d;
}

}  // namespace minigrad::runtime
