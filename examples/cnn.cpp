// A wider convolutional network with batch norm for 28 x 28 digits: `blocks`
// blocks of Conv2d 3x3 (padding 1) -> BatchNorm2d -> ReLU -> MaxPool2d(2), the
// first with `channels` filters and each next one with twice as many, then a
// Linear classifier over the flattened features.
//   minigradc train cnn --data data/mnist10k --scale standard --set channels=32 --set blocks=2
#include "frontend/dsl.h"

using namespace minigrad;

MINIGRAD_MODEL(args) {
  int64_t side = args.get_int("side", 28);
  int64_t channels = args.get_int("channels", 32);
  int64_t blocks = args.get_int("blocks", 2);
  nn::Sequential net;
  net.add(nn::Unflatten({1, side, side}));
  int64_t in = 1;
  for (int64_t b = 0; b < blocks; ++b) {
    int64_t out = channels << b;
    net.add(nn::Conv2d(in, out, 3, 1, 1));
    net.add(nn::BatchNorm2d(out));
    net.add(nn::ReLU());
    net.add(nn::MaxPool2d(2));
    in = out, side /= 2;
  }
  net.add(nn::Flatten());
  net.add(nn::Linear(in * side * side, args.num_classes));
  return net;
}
