// Zen-score (Lin et al., ICCV 2021): conv/linear weights re-initialised N(0, 1) (biases 0, BN
// weight 1 and bias 0); a Gaussian batch x and perturbation e; Delta = mean over samples of
// |f(x) - f(x + 0.01 e)|_1 on the feature map the head pools; score = log Delta + sum over BN
// layers of log sqrt(mean running variance), the running variance being x's batch variance (BN in
// train mode with momentum 1). Data-free; averaged over `zen_repeats` re-initialisations.
#include "nnmass/analysis/proxies.h"

#include <ATen/CPUGeneratorImpl.h>

#include "nnmass/error.h"
#include "nnmass/nn/tap.h"

namespace nnmass {

double zen_score(ProxyModel& model, const ProxyData& data) {
  model.set_train(true);
  model.set_batch_norm_momentum(1.0);
  torch::NoGradGuard no_grad;
  std::vector<int64_t> shape = {data.batch_size};
  shape.insert(shape.end(), data.input_shape.begin(), data.input_shape.end());
  double total = 0;
  const int repeats = std::max(1, data.zen_repeats);
  for (int r = 0; r < repeats; ++r) {
    // Its own generator: the same draws whatever else runs, and no race with other threads.
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(data.seed * 7919 + static_cast<uint64_t>(r));
    model.gaussian_init(gen);
    const torch::Tensor x = at::randn(shape, gen, torch::kFloat32), e = at::randn(shape, gen, torch::kFloat32);
    TapRecorder rec;
    model.forward(x + 0.01 * e);
    const torch::Tensor mixed = rec.pre_pool;
    model.forward(x);  // last, so the running variances are x's
    if (!mixed.defined() || !rec.pre_pool.defined())
      throw SpecError("zen needs a network with a pooled feature map (a CNN, ResNet, MobileNet or nb201)");
    const double delta = (rec.pre_pool - mixed).abs().flatten(1).sum(1).mean().item<double>();
    double bn = 0;
    for (const torch::Tensor& v : model.batch_norm_running_vars()) bn += std::log(std::sqrt(v.mean().item<double>()));
    total += std::log(delta) + bn;
  }
  return total / repeats;
}

}  // namespace nnmass
