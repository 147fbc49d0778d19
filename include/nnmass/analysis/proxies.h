// Zero-cost proxies at initialization (shared/spec/proxies.md): the training-free predictors of
// the NAS field beside NN-Mass. One file each under src/analysis/proxies/; this header is their
// common interface and catalogue. Every proxy states how it is computed (paper, BatchNorm mode,
// input, precision, direction, seed) so a user can reproduce its number; each one gets a freshly
// built copy of the model, so no proxy sees another's changes (BN statistics, abs weights, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/nn/network.h"

namespace nnmass {

// A network as the proxies see it. Forward passes feed the thread's TapRecorder (nn/tap.h).
class ProxyModel {
 public:
  virtual ~ProxyModel() = default;
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  // The proxies' "layers": the weight of every conv and linear layer, in forward order.
  virtual std::vector<torch::Tensor> weights() = 0;
  virtual std::vector<torch::Tensor> parameters() = 0;
  virtual void set_train(bool on) = 0;
  virtual void to_double() = 0;
  // Every BatchNorm becomes the identity (synflow's network without BN).
  virtual void remove_batch_norm() = 0;
  // Zen-NAS's re-initialisation: conv/linear weights ~ N(0, 1) from `generator`, biases 0, BN
  // weight 1, bias 0.
  virtual void gaussian_init(torch::Generator& generator) = 0;
  // BatchNorm momentum (1 makes running_var the last batch's variance) and the running variances.
  virtual void set_batch_norm_momentum(double momentum) = 0;
  virtual std::vector<torch::Tensor> batch_norm_running_vars() = 0;
};

// Builds a fresh copy of the model at its initial weights (same weights every call).
using ModelFactory = std::function<std::unique_ptr<ProxyModel>()>;

// A model factory for nnmass networks: rebuilds spec + links + init each call.
ModelFactory network_factory(const Spec& spec, const Links* links, const InitOptions& init);
// Wraps a built network (the proxies own no copy: use it for one proxy only).
std::unique_ptr<ProxyModel> wrap_network(Network network);

// What the proxies are fed. Real batches come from a data set; where there is none, proxies that
// need data run on Gaussian images with uniform random labels if `gaussian_data` is set (and say
// so), and are refused otherwise.
struct ProxyData {
  std::vector<int64_t> input_shape;  // one sample: [C, H, W] or [features]
  int64_t classes = 10;
  std::vector<torch::Tensor> images;  // real batches [B, ...] (ZiCo uses two)
  std::vector<torch::Tensor> labels;  // [B] int64
  bool gaussian_data = false;
  int64_t batch_size = 64;  // of Gaussian batches
  uint64_t seed = 0;        // Gaussian inputs and labels
  int zen_repeats = 1;      // Zen-score: re-initialisations averaged
};

// How a proxy is computed, for tables, --json and the README.
struct ProxyInfo {
  std::string name;       // "synflow"
  std::string paper;      // "Tanaka et al., NeurIPS 2020"
  std::string bn;         // BatchNorm mode: "train (batch statistics)", "removed", ...
  std::string input;      // "one all-ones sample", "a real batch and its labels", ...
  std::string precision;  // "float64", "float32"
  std::string summary;    // the formula, one line
  bool needs_data = true;   // real images (or explicit Gaussian stand-ins)
  int batches = 1;          // real batches it reads
  int direction = +1;       // +1: higher predicts higher accuracy
};

const std::vector<ProxyInfo>& proxy_catalogue();
const ProxyInfo& proxy_info(const std::string& name);  // SpecError listing the names if unknown
std::vector<std::string> proxy_names();
std::vector<std::string> data_free_proxy_names();

// One proxy's score of the model the factory builds. Throws SpecError for a proxy that cannot
// apply (Zen-score needs a feature map to pool; data needed but none given).
double compute_proxy(const std::string& name, const ModelFactory& make, const ProxyData& data);

// The individual proxies (src/analysis/proxies/<name>.cpp).
double synflow(ProxyModel& model, const ProxyData& data);
double grad_norm(ProxyModel& model, const ProxyData& data);
double snip(ProxyModel& model, const ProxyData& data);
double grasp(ProxyModel& model, const ProxyData& data);
double fisher(ProxyModel& model, const ProxyData& data);
double jacob_cov(ProxyModel& model, const ProxyData& data);
double naswot(ProxyModel& model, const ProxyData& data);
double zico(ProxyModel& model, const ProxyData& data);
double zen_score(ProxyModel& model, const ProxyData& data);
double meco(ProxyModel& model, const ProxyData& data);

// Shared by the proxies: batch k of the data (real, or Gaussian when allowed), and the mean
// cross-entropy of the model on it.
struct ProxyBatch {
  torch::Tensor images, labels;
};
ProxyBatch proxy_batch(const ProxyData& data, int k);
torch::Tensor proxy_loss(ProxyModel& model, const ProxyBatch& batch);

// NASWOT's kernel of binary codes and jacob_cov's score, exposed for tests.
torch::Tensor naswot_kernel(const std::vector<torch::Tensor>& activations);
double jacob_cov_score(const torch::Tensor& jacobian);  // [B, D]

}  // namespace nnmass
