// snip (Lee et al. 2019), as zero-cost-nas scores a whole network: BN in train mode, one batch,
// mean cross-entropy; the saliency |W * dL/dW| (the gradient with respect to a multiplicative
// mask of ones), summed over conv/linear weights.
#include "nnmass/analysis/proxies.h"

namespace nnmass {

double snip(ProxyModel& model, const ProxyData& data) {
  model.set_train(true);
  proxy_loss(model, proxy_batch(data, 0)).backward();
  double score = 0;
  for (const torch::Tensor& w : model.weights())
    if (w.grad().defined()) score += (w.detach() * w.grad()).abs().sum().item<double>();
  return score;
}

}  // namespace nnmass
