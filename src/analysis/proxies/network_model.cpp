// ProxyModel over an nnmass network (proxies.h): conv/linear weights in registration order (the
// forward order of every family), BatchNorm layers found by type.
#include "nnmass/analysis/proxies.h"

#include <optional>

namespace nnmass {
namespace {

namespace nn = torch::nn;

class NetworkModel : public ProxyModel {
 public:
  explicit NetworkModel(Network network) : net_(std::move(network)) {}

  torch::Tensor forward(const torch::Tensor& x) override { return net_->forward(x); }

  std::vector<torch::Tensor> weights() override {
    std::vector<torch::Tensor> w;
    for (const auto& m : net_->modules(/*include_self=*/false)) {
      if (auto* c = m->as<nn::Conv2dImpl>()) w.push_back(c->weight);
      if (auto* l = m->as<nn::LinearImpl>()) w.push_back(l->weight);
    }
    return w;
  }

  std::vector<torch::Tensor> parameters() override { return net_->parameters(); }
  void set_train(bool on) override {
    net_->train(on);
    if (batch_norm_removed_) for_each_bn([](nn::BatchNorm2dImpl* bn, const nn::BatchNormOptions&) { bn->eval(); });
  }
  // Floating-point parameters and buffers only: Module::to(dtype) would turn the dense families'
  // integer gather indices into doubles too.
  void to_double() override {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& t : net_->parameters())
      if (t.is_floating_point()) t.set_data(t.to(torch::kFloat64));
    for (torch::Tensor& t : net_->buffers())
      if (t.is_floating_point()) t.set_data(t.to(torch::kFloat64));
  }

  void remove_batch_norm() override {
    // (x - 0) / sqrt((1 - eps) + eps) * 1 + 0: exactly the identity in float64 ((1 - 1e-5) + 1e-5 == 1);
    // in float32 it is off by ~7e-9 a layer (synflow converts to float64 first).
    torch::NoGradGuard no_grad;
    for_each_bn([](nn::BatchNorm2dImpl* bn, const nn::BatchNormOptions& o) {
      bn->eval();
      bn->running_mean.zero_();
      bn->running_var.fill_(1.0 - o.eps());
      if (bn->weight.defined()) bn->weight.fill_(1.0);
      if (bn->bias.defined()) bn->bias.zero_();
    });
    batch_norm_removed_ = true;
  }

  void gaussian_init(torch::Generator& generator) override {
    torch::NoGradGuard no_grad;
    for (const auto& m : net_->modules(false)) {
      if (auto* c = m->as<nn::Conv2dImpl>()) {
        c->weight.normal_(0, 1, generator);
        if (c->bias.defined()) c->bias.zero_();
      }
      if (auto* l = m->as<nn::LinearImpl>()) {
        l->weight.normal_(0, 1, generator);
        if (l->bias.defined()) l->bias.zero_();
      }
    }
    for_each_bn([](nn::BatchNorm2dImpl* bn, const nn::BatchNormOptions&) {
      if (bn->weight.defined()) bn->weight.fill_(1.0);
      if (bn->bias.defined()) bn->bias.zero_();
    });
  }

  void set_batch_norm_momentum(double momentum) override {
    for (const auto& m : net_->modules(false))
      if (auto* bn = m->as<nn::BatchNorm2dImpl>()) bn->options.momentum(momentum);
  }

  std::vector<torch::Tensor> batch_norm_running_vars() override {
    std::vector<torch::Tensor> v;
    for (const auto& m : net_->modules(false))
      if (auto* bn = m->as<nn::BatchNorm2dImpl>()) v.push_back(bn->running_var);
    return v;
  }

 private:
  template <typename F>
  void for_each_bn(F f) {
    for (const auto& m : net_->modules(false))
      if (auto* bn = m->as<nn::BatchNorm2dImpl>()) f(bn, bn->options);
  }

  Network net_;
  bool batch_norm_removed_ = false;  // removed BN stays in eval mode
};

}  // namespace

std::unique_ptr<ProxyModel> wrap_network(Network network) { return std::make_unique<NetworkModel>(std::move(network)); }

ModelFactory network_factory(const Spec& spec, const Links* links, const InitOptions& init) {
  std::optional<Links> kept;
  if (links) kept = *links;
  return [spec, kept, init]() { return wrap_network(build_network(spec, kept ? &*kept : nullptr, init)); };
}

}  // namespace nnmass
