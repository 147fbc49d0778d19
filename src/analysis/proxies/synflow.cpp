// synflow (Tanaka et al. 2020), as zero-cost-nas computes it: a copy of the network without
// BatchNorm, in float64, every parameter replaced by its absolute value, one all-ones input;
// R = sum of the outputs; score = sum over conv/linear weights of |W * dR/dW|. Data-free. float64
// because the products of many positive layers overflow or underflow float32 on deep nets.
#include "nnmass/analysis/proxies.h"

namespace nnmass {

double synflow(ProxyModel& model, const ProxyData& data) {
  model.to_double();         // first: BN's identity (var 1 - eps, + eps) is exact only in float64
  model.remove_batch_norm();
  model.set_train(false);  // no dropout-like behaviour; BN is gone either way
  {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : model.parameters()) p.abs_();
  }
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), data.input_shape.begin(), data.input_shape.end());
  const torch::Tensor out = model.forward(torch::ones(shape, torch::kFloat64));
  out.sum().backward();
  double score = 0;
  for (const torch::Tensor& w : model.weights())
    if (w.grad().defined()) score += (w * w.grad()).abs().sum().item<double>();
  return score;
}

}  // namespace nnmass
