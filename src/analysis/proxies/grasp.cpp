// grasp (Wang et al. 2020), as zero-cost-nas computes it: g = dL/dW on the batch; a second forward
// pass gives dL/dW with its graph, z = <g, dL/dW>, and dz/dW = H g (a Hessian-gradient product by
// double backward); score = -sum over conv/linear weights of W * (H g). BN in train mode.
#include "nnmass/analysis/proxies.h"

namespace nnmass {

double grasp(ProxyModel& model, const ProxyData& data) {
  model.set_train(true);
  const ProxyBatch batch = proxy_batch(data, 0);
  const std::vector<torch::Tensor> w = model.weights();
  const auto g = torch::autograd::grad({proxy_loss(model, batch)}, w, {}, false, false, /*allow_unused=*/true);
  const auto gf = torch::autograd::grad({proxy_loss(model, batch)}, w, {}, true, /*create_graph=*/true, true);
  torch::Tensor z = torch::zeros({}, w.front().options());
  for (size_t k = 0; k < w.size(); ++k)
    if (g[k].defined() && gf[k].defined()) z = z + (g[k].detach() * gf[k]).sum();
  if (!z.requires_grad()) return 0.0;  // no weight reaches the loss
  const auto hg = torch::autograd::grad({z}, w, {}, false, false, true);
  double score = 0;
  for (size_t k = 0; k < w.size(); ++k)
    if (hg[k].defined()) score -= (w[k].detach() * hg[k]).sum().item<double>();
  return score;
}

}  // namespace nnmass
