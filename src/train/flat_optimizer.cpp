// Adam / SGD on one flat parameter buffer; see flat_optimizer.h.
#include "nnmass/train/flat_optimizer.h"

#include <cmath>

namespace nnmass {

FlatOptimizerOptions flat_optimizer_options(const TrainOptions& o) {
  FlatOptimizerOptions f;
  f.kind = o.optimizer;
  f.weight_decay = o.weight_decay;
  f.momentum = o.momentum;
  f.nesterov = o.nesterov;
  return f;
}

FlatOptimizer::FlatOptimizer(std::vector<torch::Tensor> parameters, FlatOptimizerOptions options)
    : options_(std::move(options)), parameters_(std::move(parameters)) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> pieces;
  for (const auto& p : parameters_) pieces.push_back(p.detach().reshape({-1}));
  const auto device_options = parameters_.empty() ? torch::TensorOptions() : parameters_.front().options();
  flat_ = pieces.empty() ? torch::zeros({0}, device_options) : torch::cat(pieces);
  grad_ = torch::zeros_like(flat_);
  int64_t offset = 0;
  for (auto& p : parameters_) {
    const int64_t n = p.numel();
    p.set_data(flat_.narrow(0, offset, n).view(p.sizes()));
    // A defined gradient is accumulated in place by autograd, so backward writes into grad_.
    p.mutable_grad() = grad_.narrow(0, offset, n).view(p.sizes());
    offset += n;
  }
  m_ = torch::zeros_like(flat_);
  if (options_.kind == "adam") v_ = torch::zeros_like(flat_);
}

void FlatOptimizer::zero_grad() { grad_.zero_(); }

void FlatOptimizer::step(double lr) {
  torch::NoGradGuard no_grad;
  ++steps_;
  torch::Tensor g = options_.weight_decay != 0 ? grad_.add(flat_, options_.weight_decay) : grad_;
  if (options_.kind == "adam") {
    const double bc1 = 1 - std::pow(options_.beta1, steps_);
    const double bc2 = 1 - std::pow(options_.beta2, steps_);
    m_.mul_(options_.beta1).add_(g, 1 - options_.beta1);
    v_.mul_(options_.beta2).addcmul_(g, g, 1 - options_.beta2);
    const torch::Tensor denom = (v_.sqrt() / std::sqrt(bc2)).add_(options_.eps);
    flat_.addcdiv_(m_, denom, -lr / bc1);
    return;
  }
  if (options_.momentum != 0) {
    if (steps_ == 1)
      m_.copy_(g);
    else
      m_.mul_(options_.momentum).add_(g);  // dampening 0
    g = options_.nesterov ? g.add(m_, options_.momentum) : m_;
  }
  flat_.add_(g, -lr);
}

void FlatOptimizer::save(torch::serialize::OutputArchive& archive) const {
  archive.write("steps", torch::tensor(steps_));
  archive.write("m", m_);
  if (v_.defined()) archive.write("v", v_);
}

void FlatOptimizer::load(torch::serialize::InputArchive& archive) {
  torch::NoGradGuard no_grad;
  torch::Tensor steps, m, v;
  archive.read("steps", steps);
  archive.read("m", m);
  TORCH_CHECK(m.numel() == m_.numel(), "optimizer state has ", m.numel(), " entries, the model ", m_.numel());
  m_.copy_(m);
  if (v_.defined()) {
    archive.read("v", v);
    v_.copy_(v);
  }
  steps_ = steps.item<int64_t>();
}

}  // namespace nnmass
