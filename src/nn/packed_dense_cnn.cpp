// Packed regular dense CNNs; see packed_dense_cnn.h.
#include "nnmass/nn/packed_dense_cnn.h"

#include "nnmass/error.h"

namespace nnmass {
namespace {

constexpr double kBnMomentum = 0.1, kBnEps = 1e-5;  // torch::nn::BatchNorm2d's defaults, as the lone modules

std::string layer_name(size_t c, int k, const std::string& what) {
  return "cell" + std::to_string(c) + "." + what + std::to_string(k) + ".";
}

torch::Tensor batch_norm(const torch::Tensor& x, const PackedDenseCnn::Layer& L, bool training) {
  return torch::batch_norm(x, L.gamma, L.beta, L.mean, L.var, training, kBnMomentum, kBnEps, false);
}

}  // namespace

PackedDenseCnn::PackedDenseCnn(const std::vector<const DenseCnnImpl*>& models) {
  if (models.empty()) throw SpecError("a pack needs at least one model");
  spec_ = models.front()->spec();
  if (spec_.family != Family::kCnn) throw SpecError("only regular dense CNNs are packed");
  const std::string key = pack_key(spec_);
  for (const DenseCnnImpl* m : models)
    if (pack_key(m->spec()) != key)
      throw SpecError("models of one pack must share their layer structure: " + key + " vs " + pack_key(m->spec()));
  const int64_t K = static_cast<int64_t>(models.size());
  alive_.assign(K, true);
  torch::NoGradGuard no_grad;
  std::vector<torch::OrderedDict<std::string, torch::Tensor>> params, buffers;
  for (const DenseCnnImpl* m : models) {
    params.push_back(m->named_parameters());
    buffers.push_back(m->named_buffers());
  }
  int64_t in = spec_.input[0];
  for (size_t c = 0; c < spec_.cells.size(); ++c) {
    const Cell& cell = spec_.cells[c];
    const int64_t w = cell.width;
    std::vector<Layer> layers;
    for (int k = 0; k < cell.depth; ++k) {
      Layer L;
      L.out = w;
      L.stride = k == 0 && c > 0 ? 2 : 1;
      L.bn_before = k >= 2;
      for (int64_t i = 0; i < K; ++i)
        L.used.push_back(k == 0 ? in : k == 1 ? w : w + static_cast<int64_t>(models[i]->links().cells[c].layers[k].size()));
      L.fan = *std::max_element(L.used.begin(), L.used.end());
      if (k >= 2 && L.fan > w) {  // channel of (layer j, model i, channel ch) in [zero, o_0, o_1, ...]
        std::vector<int64_t> index(K * L.fan, 0);
        for (int64_t i = 0; i < K; ++i) {
          const auto channel = [&](int64_t j, int64_t ch) { return 1 + j * K * w + i * w + ch; };
          int64_t f = 0;
          for (int64_t ch = 0; ch < w; ++ch) index[i * L.fan + f++] = channel(k - 1, ch);
          for (const LinkSource& s : models[i]->links().cells[c].layers[k]) index[i * L.fan + f++] = channel(s.layer, s.channel);
        }
        L.gather = torch::tensor(index);
      }
      const int64_t norm = L.bn_before ? L.fan : w;
      L.weight = torch::zeros({K * w, L.fan, 3, 3});
      L.gamma = torch::zeros({K * norm});
      L.beta = torch::zeros({K * norm});
      L.mean = torch::zeros({K * norm});
      L.var = torch::ones({K * norm});
      for (int64_t i = 0; i < K; ++i) {
        const std::string conv = layer_name(c, k, "layer"), bn = layer_name(c, k, "norm");
        const int64_t n = L.bn_before ? L.used[i] : w;
        L.weight.narrow(0, i * w, w).narrow(1, 0, L.used[i]).copy_(params[i][conv + "weight"]);
        L.gamma.narrow(0, i * norm, n).copy_(params[i][bn + "weight"]);
        L.beta.narrow(0, i * norm, n).copy_(params[i][bn + "bias"]);
        L.mean.narrow(0, i * norm, n).copy_(buffers[i][bn + "running_mean"]);
        L.var.narrow(0, i * norm, n).copy_(buffers[i][bn + "running_var"]);
      }
      for (torch::Tensor* t : {&L.weight, &L.gamma, &L.beta}) t->set_requires_grad(true);
      layers.push_back(std::move(L));
    }
    cells_.push_back(std::move(layers));
    in = w;
  }
  const torch::Tensor fc = params[0]["fc.weight"];
  fc_weight_ = torch::empty({K, fc.size(0), fc.size(1)});
  fc_bias_ = torch::empty({K, fc.size(0)});
  for (int64_t i = 0; i < K; ++i) {
    fc_weight_[i].copy_(params[i]["fc.weight"]);
    fc_bias_[i].copy_(params[i]["fc.bias"]);
  }
  fc_weight_.set_requires_grad(true);
  fc_bias_.set_requires_grad(true);
}

std::vector<torch::Tensor> PackedDenseCnn::parameters() const {
  std::vector<torch::Tensor> p;
  for (const auto& cell : cells_)
    for (const Layer& L : cell) p.insert(p.end(), {L.weight, L.gamma, L.beta});
  p.insert(p.end(), {fc_weight_, fc_bias_});
  return p;
}

torch::Tensor PackedDenseCnn::forward(const std::vector<PackBatch>& batches, bool training) {
  const int64_t K = size();
  torch::Tensor o, all;  // all: [zero, o_0 .. o_{k-1}] of the cell in progress
  for (size_t c = 0; c < cells_.size(); ++c) {
    const std::vector<Layer>& layers = cells_[c];
    const int64_t w = layers.front().out;
    for (size_t k = 0; k < layers.size(); ++k) {
      const Layer& L = layers[k];
      if (c == 0 && k == 0) {  // the image: one plain convolution per data order
        std::vector<torch::Tensor> parts;
        for (const PackBatch& p : batches)
          parts.push_back(torch::conv2d(p.x, L.weight.narrow(0, p.first * w, p.count * w), {}, 1, 1));
        o = parts.size() == 1 ? parts.front() : torch::cat(parts, 1);
      } else if (k < 2) {
        o = torch::conv2d(k == 1 ? torch::relu(o) : o, L.weight, {}, L.stride, 1, 1, K);
      }
      if (k < 2) {
        o = batch_norm(o, L, training);
        if (k == 0) all = torch::cat({torch::zeros({o.size(0), 1, o.size(2), o.size(3)}, o.options()), o}, 1);
        continue;
      }
      torch::Tensor z = o;
      if (L.gather.defined()) {
        all = torch::cat({all, o}, 1);
        z = all.index_select(1, L.gather);
      }
      o = torch::conv2d(torch::relu(batch_norm(z, L, training)), L.weight, {}, 1, 1, 1, K);
    }
  }
  const int64_t B = o.size(0);
  const torch::Tensor pooled = spec_.head == Head::kGap ? torch::adaptive_avg_pool2d(o, {1, 1}) : torch::avg_pool2d(o, 2);
  const torch::Tensor features = pooled.reshape({B, K, -1});                                  // [B, K, F]
  return torch::einsum("bkf,kcf->bkc", {features, fc_weight_}) + fc_bias_.unsqueeze(0);    // [B, K, classes]
}

PackStep PackedDenseCnn::step(const std::vector<PackBatch>& batches, bool gradients, bool sum_loss) {
  const int64_t K = size(), B = checked_batch_size(batches, K);
  std::vector<torch::Tensor> labels;
  for (const PackBatch& p : batches) labels.push_back(p.labels.unsqueeze(1).expand({B, p.count}));
  const torch::Tensor y = torch::cat(labels, 1);  // [B, K]
  std::optional<torch::NoGradGuard> no_grad;
  if (!gradients) no_grad.emplace();
  if (gradients)
    for (torch::Tensor& p : parameters())
      if (p.grad().defined()) p.mutable_grad().zero_();
  const torch::Tensor logits = forward(batches, gradients);
  const int64_t classes = logits.size(2);
  const torch::Tensor ce = torch::nn::functional::cross_entropy(
      logits.reshape({B * K, classes}), y.reshape({B * K}),
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone)).view({B, K});
  const torch::Tensor per_model = sum_loss ? ce.sum(0) : ce.mean(0);  // [K]
  if (gradients) {
    std::vector<float> live(alive_.begin(), alive_.end());
    (per_model * torch::tensor(live)).sum().backward();
  }
  PackStep result;
  const torch::Tensor loss = per_model.detach().to(torch::kFloat64).contiguous();
  const torch::Tensor correct = logits.detach().argmax(2).eq(y).sum(0).contiguous();
  result.loss.assign(loss.data_ptr<double>(), loss.data_ptr<double>() + K);
  result.correct.assign(correct.data_ptr<int64_t>(), correct.data_ptr<int64_t>() + K);
  return result;
}

void PackedDenseCnn::stop(int64_t i) {
  torch::NoGradGuard no_grad;
  alive_[i] = false;
  const auto zero = [](const torch::Tensor& t, int64_t start, int64_t n) {
    t.narrow(0, start, n).zero_();
    if (t.grad().defined()) t.grad().narrow(0, start, n).zero_();
  };
  for (const auto& cell : cells_)
    for (const Layer& L : cell) {
      const int64_t norm = L.gamma.size(0) / size();
      zero(L.weight, i * L.out, L.out);
      zero(L.gamma, i * norm, norm);
      zero(L.beta, i * norm, norm);
      L.mean.narrow(0, i * norm, norm).zero_();
      L.var.narrow(0, i * norm, norm).fill_(1);
    }
  zero(fc_weight_, i, 1);
  zero(fc_bias_, i, 1);
}

void PackedDenseCnn::copy_to(int64_t i, DenseCnnImpl& model) const {
  torch::NoGradGuard no_grad;
  auto params = model.named_parameters();
  auto buffers = model.named_buffers();
  for (size_t c = 0; c < cells_.size(); ++c)
    for (size_t k = 0; k < cells_[c].size(); ++k) {
      const Layer& L = cells_[c][k];
      const std::string conv = layer_name(c, static_cast<int>(k), "layer"), bn = layer_name(c, static_cast<int>(k), "norm");
      const int64_t norm = L.gamma.size(0) / size(), n = L.bn_before ? L.used[i] : L.out;
      params[conv + "weight"].copy_(L.weight.narrow(0, i * L.out, L.out).narrow(1, 0, L.used[i]));
      params[bn + "weight"].copy_(L.gamma.narrow(0, i * norm, n));
      params[bn + "bias"].copy_(L.beta.narrow(0, i * norm, n));
      buffers[bn + "running_mean"].copy_(L.mean.narrow(0, i * norm, n));
      buffers[bn + "running_var"].copy_(L.var.narrow(0, i * norm, n));
    }
  params["fc.weight"].copy_(fc_weight_[i]);
  params["fc.bias"].copy_(fc_bias_[i]);
}

}  // namespace nnmass
