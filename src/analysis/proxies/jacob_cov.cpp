// jacob_cov (Mellor et al., first version of "Neural Architecture Search without Training"), as
// zero-cost-nas computes it: J = gradient of the summed outputs with respect to the input, one
// row per sample (BN in train mode couples the samples, as in the reference); C = correlation
// matrix of the rows; score = -sum over its eigenvalues of log(lambda + k) + 1/(lambda + k),
// k = 1e-5. A sample whose Jacobian is constant has no correlation: the score is then NaN, as
// numpy's corrcoef makes it.
#include "nnmass/analysis/proxies.h"

namespace nnmass {

double jacob_cov_score(const torch::Tensor& jacobian) {
  torch::Tensor j = jacobian.to(torch::kFloat64);
  j = j - j.mean(1, true);
  const torch::Tensor cov = j.matmul(j.t());
  const torch::Tensor sd = cov.diagonal().sqrt();
  const torch::Tensor corr = cov / sd.unsqueeze(1) / sd.unsqueeze(0);
  if (!torch::isfinite(corr).all().item<bool>()) return std::nan("");
  const torch::Tensor lambda = torch::linalg::eigvalsh(corr, "L") + 1e-5;
  return -(lambda.log() + lambda.reciprocal()).sum().item<double>();
}

double jacob_cov(ProxyModel& model, const ProxyData& data) {
  model.set_train(true);
  const torch::Tensor x = proxy_batch(data, 0).images.clone().requires_grad_(true);
  const torch::Tensor y = model.forward(x);
  const torch::Tensor grad = torch::autograd::grad({y}, {x}, {torch::ones_like(y)})[0];
  return jacob_cov_score(grad.reshape({grad.size(0), -1}));
}

}  // namespace nnmass
