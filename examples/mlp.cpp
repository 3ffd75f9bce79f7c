// The seed's family of multi-layer perceptrons, for its architecture studies:
// `depth` hidden layers of `width` units, each Linear -> [BatchNorm1d] ->
// activation -> [Dropout], then Linear to the classes. depth = 0 is a linear
// classifier; the defaults give the seed's best model. `init` initialises every
// Linear weight (the seed used xavier_uniform with sigmoid, kaiming_uniform otherwise).
//   --set depth=3 --set width=128 --set activation=relu --set dropout=0.2 --set batchnorm=false
#include "frontend/dsl.h"

using namespace minigrad;

MINIGRAD_MODEL(args) {
  int64_t depth = args.get_int("depth", 1);
  int64_t width = args.get_int("width", 192);
  std::string activation = args.get_string("activation", "leaky_relu");
  double dropout = args.get_double("dropout", 0.0);
  bool batchnorm = args.get_bool("batchnorm", true);
  Initializer weights = init::by_name(args.get_string("init", "kaiming_uniform"));

  nn::Sequential net;
  int64_t in = args.in_features;
  for (int64_t layer = 0; layer < depth; ++layer) {
    net.add(nn::Linear(in, width, true, weights));
    if (batchnorm) net.add(nn::BatchNorm1d(width));
    net.add(nn::activation(activation));
    if (dropout > 0) net.add(nn::Dropout(dropout));
    in = width;
  }
  net.add(nn::Linear(in, args.num_classes, true, weights));
  return net;
}
