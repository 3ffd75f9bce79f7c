// A classification data set in memory and the loader for the seed's directory layout:
// train_data.npy, train_label.npy, test_data.npy, test_label.npy, each optionally
// gzip-compressed as .npy.gz. Data become float32 [N,F]; labels become int32 class
// indices, validated (integral, >= 0) with errors naming the file, the row and the value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "backend/buffer.h"

namespace minigrad::runtime {

struct Split {
  Buffer x;                  // f32 [N,F]
  std::vector<int32_t> y;    // [N], each in [0, num_classes)

  int64_t rows() const { return x.type().shape.rank() == 2 ? x.type().shape[0] : 0; }
  int64_t features() const { return x.type().shape.rank() == 2 ? x.type().shape[1] : 0; }
};

struct Dataset {
  Split train, test;
  int num_classes = 0;  // the largest training label + 1, or the count load_data_dir was given
  std::string source;   // where it came from (the directory), for messages
};

// Loads `dir`. For each of the four files, NAME.npy is read if it exists, otherwise
// NAME.npy.gz; if neither exists the Error lists both. Data: rank 2, any supported
// dtype, finite values. Labels: shaped (N) or (N,1), integer, bool or integral float
// values, each >= 0. Both splits must be non-empty, each split's data and labels must
// have the same number of rows, and train and test the same number of features.
// The classes are 0..num_classes-1 when num_classes > 0 (a checkpoint's model, or
// --num-classes),
// else those of the training labels: a label of either split outside them is an
// Error naming the file, row and value.
// `source` says where a given count came from, for the message that refuses a label.
Dataset load_data_dir(const std::filesystem::path& dir, int64_t num_classes = 0,
                      const std::string& source = "as the checkpoint's model has");

// The `source` of a class count given by --num-classes (num_classes in a sweep file).
inline constexpr const char* kClassesFromFlag = "as --num-classes gives";

}  // namespace minigrad::runtime
