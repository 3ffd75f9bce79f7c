// LeNet-5 as PyTorch's tutorials write it for 28 x 28 digits: two convolutions
// with ReLU and 2 x 2 max pooling, then three Linear layers. Rows of 784 pixels
// (the bundled digits, without --pca) become [N, 1, 28, 28] images first; the
// state_dict is that of the same torch.nn.Sequential (Unflatten first, so the first
// convolution's weight is "1.weight", [6, 1, 5, 5]).
//   minigradc train lenet --data data/mnist10k --scale standard --epochs 10
#include "frontend/dsl.h"

using namespace minigrad;

MINIGRAD_MODEL(args) {
  int64_t side = args.get_int("side", 28);  // the images are side x side, one channel
  int64_t pooled = (side / 2 - 4) / 2;  // 28 -> 28 (conv 5x5, padding 2) -> 14 (pool) -> 10 (conv 5x5) -> 5 (pool)
  return nn::Sequential{
      nn::Unflatten({1, side, side}),
      nn::Conv2d(1, 6, 5, 1, 2),
      nn::ReLU(),
      nn::MaxPool2d(2),
      nn::Conv2d(6, 16, 5),
      nn::ReLU(),
      nn::MaxPool2d(2),
      nn::Flatten(),
      nn::Linear(16 * pooled * pooled, 120),
      nn::ReLU(),
      nn::Linear(120, 84),
      nn::ReLU(),
      nn::Linear(84, args.num_classes),
  };
}
