// grad_norm (zero-cost-nas, Abdelfattah et al. 2021): BN in train mode, one batch, mean
// cross-entropy; score = sum over conv/linear layers of the Frobenius norm of dL/dW.
#include "nnmass/analysis/proxies.h"

namespace nnmass {

double grad_norm(ProxyModel& model, const ProxyData& data) {
  model.set_train(true);
  proxy_loss(model, proxy_batch(data, 0)).backward();
  double score = 0;
  for (const torch::Tensor& w : model.weights())
    if (w.grad().defined()) score += w.grad().norm().item<double>();
  return score;
}

}  // namespace nnmass
