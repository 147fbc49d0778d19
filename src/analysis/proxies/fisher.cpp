// fisher (Turner et al. 2020), as zero-cost-nas computes it: for the output a of every conv and
// linear layer (before its BatchNorm) and each sample n and channel k, g_nk = sum over positions
// of a * dL/da; the channel's saliency is mean_n(g_nk^2) / 2; the score sums every channel of
// every layer. BN in train mode, one batch, mean cross-entropy.
#include "nnmass/analysis/proxies.h"
#include "nnmass/nn/tap.h"

namespace nnmass {

double fisher(ProxyModel& model, const ProxyData& data) {
  model.set_train(true);
  const ProxyBatch batch = proxy_batch(data, 0);
  TapRecorder rec;
  const torch::Tensor loss = proxy_loss(model, batch);
  const std::vector<torch::Tensor> acts = rec.layers;
  const auto grads = torch::autograd::grad({loss}, acts, {}, false, false, /*allow_unused=*/true);
  double score = 0;
  for (size_t k = 0; k < acts.size(); ++k) {
    if (!grads[k].defined()) continue;
    torch::Tensor g = acts[k].detach() * grads[k];
    if (g.dim() > 2) g = g.flatten(2).sum(2);  // [B, C]
    score += (g.pow(2).mean(0) * 0.5).sum().item<double>();
  }
  return score;
}

}  // namespace nnmass
