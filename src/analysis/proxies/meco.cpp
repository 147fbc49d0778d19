// MeCo (Jiang et al., NeurIPS 2023), as its code computes it: a forward pass of a batch (BN in
// train mode, batch statistics), then, for the batch's first sample, each conv layer's output
// (before its BN) as a channels x positions matrix; the Pearson correlation matrix of its channels (NaN -> 0, as the
// reference sets it); score = sum over conv layers of its smallest eigenvalue (a symmetric
// eigensolver). The reference hooks every module, containers included, and so counts some maps
// more than once; nnmass uses each conv output once. Data-free: Gaussian images when none are given.
#include "nnmass/analysis/proxies.h"

#include "nnmass/error.h"
#include "nnmass/nn/tap.h"

namespace nnmass {

double meco(ProxyModel& model, const ProxyData& data) {
  model.set_train(true);
  ProxyData gaussian = data;
  gaussian.gaussian_data = true;
  const torch::Tensor x = proxy_batch(data.images.empty() ? gaussian : data, 0).images;
  torch::NoGradGuard no_grad;
  TapRecorder rec;
  model.forward(x);
  double score = 0;
  int maps = 0;
  for (const torch::Tensor& a : rec.layers) {
    if (a.dim() != 4) continue;
    torch::Tensor f = a[0].reshape({a.size(1), -1}).to(torch::kFloat64);
    f = f - f.mean(1, true);
    const torch::Tensor cov = f.matmul(f.t());
    const torch::Tensor sd = cov.diagonal().sqrt();
    torch::Tensor corr = cov / sd.unsqueeze(1) / sd.unsqueeze(0);
    corr.masked_fill_(~torch::isfinite(corr), 0.0);
    score += torch::linalg::eigvalsh(corr, "L").min().item<double>();
    ++maps;
  }
  if (maps == 0) throw SpecError("meco needs a network with convolutional feature maps");
  return score;
}

}  // namespace nnmass
