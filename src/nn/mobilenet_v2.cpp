// MobileNet-v2 (§2.3), torchvision's layout; see mobilenet_v2.h.
#include "nnmass/nn/mobilenet_v2.h"

#include "nnmass/nn/tap.h"

namespace nnmass {
namespace {

namespace nn = torch::nn;

// Conv (no bias) + BN (+ ReLU6): torchvision's ConvBNActivation.
class ConvBnImpl : public nn::Module, public ScriptSource {
 public:
  ConvBnImpl(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups, bool relu6)
      : relu6_(relu6) {
    conv = register_module("0", nn::Conv2d(nn::Conv2dOptions(in, out, k)
                                               .stride(stride).padding(k / 2).groups(groups).bias(false)));
    bn = register_module("1", nn::BatchNorm2d(out));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = bn->forward(tap(Tap::kLayer, conv->forward(x)));
    return relu6_ ? torch::clamp(tap(Tap::kActivation, x), 0, 6) : x;
  }
  std::string script_source() const override {
    const std::string x = script::call("1", script::call("0", "x"));
    return script::forward({"return " + (relu6_ ? "torch.clamp(" + x + ", 0, 6)" : x)});
  }

 private:
  bool relu6_;
  nn::Conv2d conv{nullptr};
  nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBn);

void add_conv_bn(nn::Sequential& seq, int64_t in, int64_t out, int64_t k, int64_t stride,
                 int64_t groups, bool relu6) {
  seq->push_back(ConvBn(in, out, k, stride, groups, relu6));
}

}  // namespace

InvertedResidualImpl::InvertedResidualImpl(const ResidualBlock& b) : residual_(b.residual) {
  nn::Sequential seq;
  if (b.expand != 1) add_conv_bn(seq, b.inp, b.mid, 1, 1, 1, true);
  add_conv_bn(seq, b.mid, b.mid, 3, b.stride, b.mid, true);  // depthwise
  add_conv_bn(seq, b.mid, b.out, 1, 1, 1, false);            // linear bottleneck
  conv = register_module("conv", seq);
}

torch::Tensor InvertedResidualImpl::forward(torch::Tensor x) {
  return residual_ ? x + conv->forward(x) : conv->forward(x);
}

std::string InvertedResidualImpl::script_source() const {
  return script::forward({residual_ ? "return x + self.conv.forward(x)" : "return self.conv.forward(x)"});
}

MobileNetV2Impl::MobileNetV2Impl(const Spec& spec) : spec_(spec) {
  const double wm = spec.mobilenet.width_mult;
  nn::Sequential seq;
  add_conv_bn(seq, spec.input[0], mobilenet_stem_channels(wm), 3, mobilenet_stem_stride(spec.mobilenet), 1, true);
  int64_t channels = mobilenet_stem_channels(wm);
  for (const ResidualBlock& b : residual_blocks(spec)) {
    seq->push_back(InvertedResidual(b));
    channels = b.out;
  }
  add_conv_bn(seq, channels, mobilenet_last_channels(wm), 1, 1, 1, true);
  features = register_module("features", seq);
  classifier = register_module("classifier", nn::Linear(mobilenet_last_channels(wm), spec.classes));
}

torch::Tensor MobileNetV2Impl::forward(torch::Tensor x) {
  x = tap(Tap::kPrePool, features->forward(x));
  return tap(Tap::kLayer, classifier->forward(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1)));
}

std::string MobileNetV2Impl::script_source() const {
  return script::forward({"x = torch.adaptive_avg_pool2d(self.features.forward(x), [1, 1])",
                          "return self.classifier.forward(torch.flatten(x, 1))"});
}

std::vector<LayerMap> MobileNetV2Impl::layer_maps(const torch::Tensor& x) {
  std::vector<LayerMap> maps;
  torch::Tensor h = x;
  size_t k = 0;
  for (const nn::AnyModule& entry : *features) {
    nn::AnyModule layer = entry;  // shares the module
    maps.push_back({"features." + std::to_string(k++), h,
                    [=](const torch::Tensor& z) mutable { return layer.forward(z); }});
    h = maps.back().apply(h);
  }
  return maps;
}

std::vector<LayerInfo> MobileNetV2Impl::layer_table() const {
  std::vector<LayerInfo> rows;
  const auto blocks = residual_blocks(spec_);
  const double wm = spec_.mobilenet.width_mult;
  for (size_t k = 0; k < features->size(); ++k) {
    LayerInfo row;
    row.name = "features." + std::to_string(k);
    row.params = count_parameters(*features->ptr(k));
    if (k == 0) {
      row.kind = "stem3x3";
      row.fan_in = spec_.input[0];
      row.out = mobilenet_stem_channels(wm);
      row.stride = mobilenet_stem_stride(spec_.mobilenet);
    } else if (k <= blocks.size()) {
      const ResidualBlock& b = blocks[k - 1];
      row.kind = std::string("inverted t=") + std::to_string(b.expand) + (b.residual ? "+skip" : "");
      row.fan_in = b.inp;
      row.out = b.out;
      row.stride = b.stride;
    } else {
      row.kind = "conv1x1";
      row.fan_in = blocks.empty() ? mobilenet_stem_channels(wm) : blocks.back().out;
      row.out = mobilenet_last_channels(wm);
    }
    rows.push_back(row);
  }
  rows.push_back(head_row("classifier", "gap+linear", classifier));
  return rows;
}

}  // namespace nnmass
