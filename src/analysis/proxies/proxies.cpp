// The proxy catalogue, dispatch, and the batches and loss the proxies share (proxies.h).
#include "nnmass/analysis/proxies.h"

#include <ATen/CPUGeneratorImpl.h>

#include "nnmass/error.h"

namespace nnmass {
namespace {

using ProxyFn = double (*)(ProxyModel&, const ProxyData&);

struct Entry {
  ProxyInfo info;
  ProxyFn fn;
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> table = {
      {{"synflow", "Tanaka et al., NeurIPS 2020 (as in zero-cost-nas, Abdelfattah et al., ICLR 2021)", "removed",
        "one all-ones sample", "float64",
        "every parameter made positive; R = sum of the outputs; sum over conv/linear weights of |W * dR/dW|", false, 0},
       synflow},
      {{"grad_norm", "Abdelfattah et al., ICLR 2021 (zero-cost-nas)", "train (batch statistics)",
        "a batch and its labels", "float32", "sum over conv/linear layers of the Frobenius norm of dL/dW (L: mean cross-entropy)",
        true, 1},
       grad_norm},
      {{"snip", "Lee et al., ICLR 2019 (as in zero-cost-nas)", "train (batch statistics)", "a batch and its labels",
        "float32", "sum over conv/linear weights of |W * dL/dW|", true, 1},
       snip},
      {{"grasp", "Wang et al., ICLR 2020 (as in zero-cost-nas)", "train (batch statistics)", "a batch and its labels",
        "float32", "-sum over conv/linear weights of W * (H g), g = dL/dW, H g by double backward", true, 1},
       grasp},
      {{"fisher", "Turner et al., ICLR 2020 (as in zero-cost-nas)", "train (batch statistics)",
        "a batch and its labels", "float32",
        "per output channel a of every conv/linear layer (before BN): mean over samples of (sum over positions of "
        "a * dL/da)^2 / 2, summed",
        true, 1},
       fisher},
      {{"jacob_cov", "Mellor et al., arXiv 2006.04647v1 (as in zero-cost-nas)", "train (batch statistics)",
        "a batch (no labels)", "float32 network, float64 statistics",
        "J = d(sum of outputs)/d(input), one row per sample; lambda = eigenvalues of corrcoef(J); "
        "-sum(log(lambda + 1e-5) + 1/(lambda + 1e-5))",
        true, 1},
       jacob_cov},
      {{"naswot", "Mellor et al., ICML 2021", "train (batch statistics)", "a batch (no labels)",
        "float32 network, float64 kernel",
        "c = on/off code of every rectifier input per sample; K = c c^T + (1-c)(1-c)^T; log|det K| (slogdet)", true, 1},
       naswot},
      {{"zico", "Li, ..., Marculescu, ICLR 2023", "train (batch statistics)", "two batches and their labels", "float32",
        "per conv/linear layer: log sum over weights with std > 0 of mean|g| / std(g) across batches; summed", true, 2},
       zico},
      {{"zen", "Lin et al., ICCV 2021 (Zen-NAS)", "train; running variance = the batch's (momentum 1)",
        "Gaussian batch and Gaussian perturbation (gamma 0.01), conv/linear re-initialised N(0,1)", "float32",
        "log E|f(x) - f(x + 0.01 e)|_1 on the pre-pool map + sum over BN layers of log sqrt(mean running variance)",
        false, 0},
       zen_score},
      {{"meco", "Jiang et al., NeurIPS 2023", "train (batch statistics)",
        "a batch (Gaussian when no data is given); the maps of its first sample", "float32 network, float64 statistics",
        "per conv output (channels x positions): smallest eigenvalue of the channels' Pearson correlation "
        "(NaN -> 0); summed over conv layers",
        false, 0},
       meco},
  };
  return table;
}

const Entry& entry(const std::string& name) {
  for (const Entry& e : entries())
    if (e.info.name == name) return e;
  std::string names;
  for (const Entry& e : entries()) names += (names.empty() ? "" : ", ") + e.info.name;
  throw SpecError("proxy must be one of " + names + ", got \"" + name + "\"");
}

}  // namespace

const std::vector<ProxyInfo>& proxy_catalogue() {
  static const std::vector<ProxyInfo> infos = [] {
    std::vector<ProxyInfo> v;
    for (const Entry& e : entries()) v.push_back(e.info);
    return v;
  }();
  return infos;
}

const ProxyInfo& proxy_info(const std::string& name) { return entry(name).info; }

std::vector<std::string> proxy_names() {
  std::vector<std::string> names;
  for (const Entry& e : entries()) names.push_back(e.info.name);
  return names;
}

std::vector<std::string> data_free_proxy_names() {
  std::vector<std::string> names;
  for (const Entry& e : entries())
    if (!e.info.needs_data) names.push_back(e.info.name);
  return names;
}

double compute_proxy(const std::string& name, const ModelFactory& make, const ProxyData& data) {
  const Entry& e = entry(name);
  if (e.info.needs_data && data.images.empty() && !data.gaussian_data)
    throw SpecError("proxy " + name + " needs " + e.info.input + ": give data, or allow Gaussian stand-ins");
  std::unique_ptr<ProxyModel> model = make();
  return e.fn(*model, data);
}

ProxyBatch proxy_batch(const ProxyData& data, int k) {
  if (!data.images.empty()) {
    if (k >= static_cast<int>(data.images.size()))
      throw SpecError("this proxy needs " + std::to_string(k + 1) + " batches of data, got " +
                      std::to_string(data.images.size()));
    return {data.images[k], data.labels[k]};
  }
  if (!data.gaussian_data) throw SpecError("this proxy needs data");
  // Batch k of Gaussian stand-ins: its own generator, so every proxy sees the same batch.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(data.seed * 1000003 + static_cast<uint64_t>(k));
  std::vector<int64_t> shape = {data.batch_size};
  shape.insert(shape.end(), data.input_shape.begin(), data.input_shape.end());
  ProxyBatch b;
  b.images = at::randn(shape, gen, torch::kFloat32);
  b.labels = at::randint(data.classes, {data.batch_size}, gen, torch::kInt64);
  return b;
}

torch::Tensor proxy_loss(ProxyModel& model, const ProxyBatch& batch) {
  return torch::nn::functional::cross_entropy(model.forward(batch.images), batch.labels);
}

}  // namespace nnmass
