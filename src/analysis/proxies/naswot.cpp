// NASWOT (Mellor et al., ICML 2021): each sample's binary code says which rectifier inputs are
// positive (every ReLU/ReLU6/ELU of the network, concatenated); K[i][j] = number of units where
// samples i and j agree = c c^T + (1-c)(1-c)^T; score = log|det K| by a symmetric log-determinant
// (a general eigensolver on K changes scores ~10x: MALA issue #328). BN in train mode; no labels.
#include "nnmass/analysis/proxies.h"
#include "nnmass/error.h"
#include "nnmass/nn/tap.h"

namespace nnmass {

torch::Tensor naswot_kernel(const std::vector<torch::Tensor>& activations) {
  if (activations.empty()) throw SpecError("naswot needs a network with rectifiers");
  const int64_t b = activations.front().size(0);
  torch::Tensor k = torch::zeros({b, b}, torch::kFloat64);
  for (const torch::Tensor& a : activations) {
    const torch::Tensor c = (a.detach().reshape({b, -1}) > 0).to(torch::kFloat64);
    k += c.matmul(c.t()) + (1 - c).matmul((1 - c).t());
  }
  return k;
}

double naswot(ProxyModel& model, const ProxyData& data) {
  model.set_train(true);
  torch::NoGradGuard no_grad;
  TapRecorder rec;
  model.forward(proxy_batch(data, 0).images);
  return std::get<1>(torch::linalg::slogdet(naswot_kernel(rec.activations))).item<double>();
}

}  // namespace nnmass
