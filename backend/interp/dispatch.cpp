// The interpreter's dispatch: one switch over every op of ir/ops.def, without a
// default case, so that an op added to the table does not compile until it is
// handled here. Elementwise ops are written here as scalar functions given to the
// maps of elementwise.h (x, a, b are of type Wide<T>: the element type, or int64_t
// for i32); every other op calls the kernel of its family (kernel.h). Sources and
// sinks copy between the frame's buffers and the inputs, outputs and state bound to
// them; state writes wait in the frame until the function returns.
#include <cmath>
#include <cstring>

#include "backend/interp/elementwise.h"
#include "backend/interp/frame.h"

namespace minigrad::interp {
namespace {

void copy_in(const void* from, Buffer& to) { std::memcpy(to.data(), from, to.bytes()); }
void copy_out(const Buffer& from, void* to) { std::memcpy(to, from.data(), from.bytes()); }

// A fused node runs its body as a function of its own: the operands' buffers are
// the body's inputs and the results' buffers its outputs.
void run_fused(const ir::Node& node, Frame& frame) {
  const ir::Function& body = *node.body;
  std::vector<TensorView> in, out;
  for (ir::ValueId v : node.operands) in.push_back(frame.values[static_cast<size_t>(v)].view());
  for (ir::ValueId r : node.results) out.push_back(frame.values[static_cast<size_t>(r)].view());
  Frame sub{{}, in, out, {}};
  sub.values.reserve(static_cast<size_t>(body.num_values()));
  for (ir::ValueId v = 0; v < body.num_values(); ++v) sub.values.emplace_back(body.type(v));
  size_t inputs = 0, outputs = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    const ir::Node& n = body.node(i);
    Binding b;
    if (n.op == ir::Op::Input) b.io = inputs++;
    if (n.op == ir::Op::Output) b.io = outputs++;
    execute(n, b, sub);
  }
}

}  // namespace

void execute(const ir::Node& node, const Binding& binding, Frame& frame) {
  using ir::Op;
  Call c{node, frame.values};
  switch (node.op) {
    case Op::Input: return copy_in(frame.inputs[binding.io].data, c.out());
    case Op::LoadState: return copy_in(binding.state->data(), c.out());
    case Op::Constant: return constant(c);
    case Op::StoreState: frame.stores.emplace_back(binding.state, &c.in(0)); return;
    case Op::Output: return copy_out(c.in(0), frame.outputs[binding.io].data);
    case Op::Grad: fail_at(node, "grad must be expanded by the autodiff pass first");

    case Op::Neg: return map_unary(c, [](auto x) { return -x; });
    case Op::Abs: return map_unary(c, [](auto x) { return std::abs(x); });
    case Op::Exp: return map_unary_float(c, [](auto x) { return std::exp(x); });
    case Op::Log: return map_unary_float(c, [](auto x) { return std::log(x); });
    case Op::Sqrt: return map_unary_float(c, [](auto x) { return std::sqrt(x); });
    case Op::Rsqrt: return map_unary_float(c, [](auto x) { return 1 / std::sqrt(x); });
    case Op::Relu: return map_unary(c, [](auto x) { return max_nan(x, decltype(x)(0)); });
    case Op::LeakyRelu: {
      double slope = node.attrs.f("slope");
      return map_unary_float(c, [slope](auto x) { return x > 0 ? x : decltype(x)(slope) * x; });
    }
    case Op::Sigmoid: return map_unary_float(c, [](auto x) { return 1 / (1 + std::exp(-x)); });
    case Op::Tanh: return map_unary_float(c, [](auto x) { return std::tanh(x); });
    case Op::Pow: {
      double e = node.attrs.f("exponent");
      return map_unary_float(c, [e](auto x) { return std::pow(x, decltype(x)(e)); });
    }
    case Op::Cast: return cast(c);

    case Op::Add: return map_binary(c, [](auto a, auto b) { return a + b; });
    case Op::Sub: return map_binary(c, [](auto a, auto b) { return a - b; });
    case Op::Mul: return map_binary(c, [](auto a, auto b) { return a * b; });
    case Op::Div: return divide(c);
    case Op::Maximum: return map_binary(c, [](auto a, auto b) { return max_nan(a, b); });
    case Op::Minimum: return map_binary(c, [](auto a, auto b) { return min_nan(a, b); });
    case Op::Cmp: return compare(c);
    case Op::Select: return select(c);

    case Op::ReduceSum: return reduce_sum(c);
    case Op::ReduceMean: return reduce_mean(c);
    case Op::ReduceMax: return reduce_max(c);

    case Op::Reshape: return reshape(c);
    case Op::BroadcastTo: return broadcast_to(c);
    case Op::Transpose: return transpose(c);
    case Op::Slice: return slice(c);
    case Op::Pad: return pad(c);
    case Op::MaskRows: return mask_rows(c);

    case Op::Matmul: return matmul(c);
    case Op::Conv2d: return conv2d(c);
    case Op::Conv2dInputGrad: return conv2d_input_grad(c);
    case Op::Conv2dWeightGrad: return conv2d_weight_grad(c);
    case Op::MaxPool2d: return max_pool2d(c);
    case Op::MaxPool2dGrad: return max_pool2d_grad(c);
    case Op::AvgPool2d: return avg_pool2d(c);
    case Op::AvgPool2dGrad: return avg_pool2d_grad(c);
    case Op::Softmax: return softmax(c);
    case Op::LogSoftmax: return log_softmax(c);

    case Op::SoftmaxXent: return softmax_xent(c);
    case Op::Nll: return nll(c);
    case Op::Mse: return mse(c);
    case Op::OneHot: return one_hot(c);
    case Op::Argmax: return argmax(c);
    case Op::Correct: return correct(c);

    case Op::BatchNormTrain: return batch_norm_train(c);
    case Op::BatchNormGrad: return batch_norm_grad(c);
    case Op::BatchNormEval: return batch_norm_eval(c);
    case Op::Dropout: return dropout(c);
    case Op::AllReduce: return all_reduce(c);
    case Op::AllReduceStart: return all_reduce_start(c);
    case Op::AllReduceWait: return all_reduce_wait(c);
    case Op::Fused: return run_fused(node, frame);
  }
  fail_at(node, "is not an op the interpreter knows");  // not reached: the switch is complete
}

}  // namespace minigrad::interp
