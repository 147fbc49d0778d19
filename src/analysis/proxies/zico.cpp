// ZiCo (Li, ..., Marculescu, ICLR 2023): the gradients of the mean cross-entropy on two or more
// batches; per weight, mean |g| and std(g) across batches (population std, as numpy's); per
// conv/linear layer, log of the sum over weights with std > 0 of mean|g| / std(g) (a layer whose
// sum is 0 adds nothing); score = the sum over layers. BN in train mode.
#include "nnmass/analysis/proxies.h"

namespace nnmass {

double zico(ProxyModel& model, const ProxyData& data) {
  model.set_train(true);
  const int batches = std::max<int>(2, static_cast<int>(data.images.size()));
  const std::vector<torch::Tensor> w = model.weights();
  std::vector<std::vector<torch::Tensor>> per_layer(w.size());
  for (int b = 0; b < batches; ++b) {
    const auto g = torch::autograd::grad({proxy_loss(model, proxy_batch(data, b))}, w, {}, false, false, true);
    for (size_t k = 0; k < w.size(); ++k)
      per_layer[k].push_back(g[k].defined() ? g[k].reshape(-1) : torch::zeros({w[k].numel()}));
  }
  double score = 0;
  for (const auto& grads : per_layer) {
    const torch::Tensor g = torch::stack(grads).to(torch::kFloat64);  // [batches, weights]
    const torch::Tensor sd = g.std(0, /*unbiased=*/false);
    const torch::Tensor nonzero = sd != 0;
    const double sum = (g.abs().mean(0).masked_select(nonzero) / sd.masked_select(nonzero)).sum().item<double>();
    if (sum != 0) score += std::log(sum);
  }
  return score;
}

}  // namespace nnmass
