// ResNet / Wide-ResNet / ResNeXt (§2.3), torchvision's layout; see resnet.h.
#include "nnmass/nn/resnet.h"

#include "nnmass/nn/tap.h"

namespace nnmass {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t groups = 1) {
  return nn::Conv2d(
      nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).groups(groups).bias(false));
}

}  // namespace

ResBlockImpl::ResBlockImpl(Block block, const ResidualBlock& b, int64_t groups) : block_(block) {
  if (block == Block::kBasic) {
    conv1 = register_module("conv1", conv(b.inp, b.mid, 3, b.stride));
    bn1 = register_module("bn1", nn::BatchNorm2d(b.mid));
    conv2 = register_module("conv2", conv(b.mid, b.mid, 3));
    bn2 = register_module("bn2", nn::BatchNorm2d(b.mid));
  } else {  // torchvision v1.5: the stride sits on the 3x3
    conv1 = register_module("conv1", conv(b.inp, b.mid, 1));
    bn1 = register_module("bn1", nn::BatchNorm2d(b.mid));
    conv2 = register_module("conv2", conv(b.mid, b.mid, 3, b.stride, groups));
    bn2 = register_module("bn2", nn::BatchNorm2d(b.mid));
    conv3 = register_module("conv3", conv(b.mid, b.out, 1));
    bn3 = register_module("bn3", nn::BatchNorm2d(b.out));
  }
  if (b.projection)
    downsample = register_module("downsample",
                                 nn::Sequential(conv(b.inp, b.out, 1, b.stride), nn::BatchNorm2d(b.out)));
}

torch::Tensor ResBlockImpl::forward(torch::Tensor x) {
  torch::Tensor out = torch::relu(tap(Tap::kActivation, bn1->forward(tap(Tap::kLayer, conv1->forward(x)))));
  out = bn2->forward(tap(Tap::kLayer, conv2->forward(out)));
  if (block_ == Block::kBottleneck)
    out = bn3->forward(tap(Tap::kLayer, conv3->forward(torch::relu(tap(Tap::kActivation, out)))));
  const torch::Tensor shortcut =
      downsample ? downsample->ptr(1)->as<nn::BatchNorm2dImpl>()->forward(
                       tap(Tap::kLayer, downsample->ptr(0)->as<nn::Conv2dImpl>()->forward(x)))
                 : x;
  return torch::relu(tap(Tap::kActivation, out + shortcut));
}

std::string ResBlockImpl::script_source() const {
  std::vector<std::string> lines = {"out = torch.relu(self.bn1.forward(self.conv1.forward(x)))",
                                    "out = self.bn2.forward(self.conv2.forward(out))"};
  if (block_ == Block::kBottleneck) lines.push_back("out = self.bn3.forward(self.conv3.forward(torch.relu(out)))");
  lines.push_back(downsample ? "return torch.relu(out + self.downsample.forward(x))" : "return torch.relu(out + x)");
  return script::forward(lines);
}

ResNetImpl::ResNetImpl(const Spec& spec) : spec_(spec) {
  const ResNetLayout& r = spec.resnet;
  const bool imagenet = r.stem == Stem::kImageNet;
  conv1 = register_module("conv1", imagenet ? conv(spec.input[0], r.stem_width, 7, 2)
                                            : conv(spec.input[0], r.stem_width, 3));
  bn1 = register_module("bn1", nn::BatchNorm2d(r.stem_width));
  const auto blocks = residual_blocks(spec);
  size_t next = 0;
  for (size_t s = 0; s < r.layers.size(); ++s) {
    nn::Sequential stage;
    for (int b = 0; b < r.layers[s]; ++b) stage->push_back(ResBlock(r.block, blocks[next++], r.groups));
    stages_.push_back(register_module("layer" + std::to_string(s + 1), stage));
  }
  fc = register_module("fc", nn::Linear(blocks.back().out, spec.classes));
}

torch::Tensor ResNetImpl::forward(torch::Tensor x) {
  x = torch::relu(tap(Tap::kActivation, bn1->forward(tap(Tap::kLayer, conv1->forward(x)))));
  if (spec_.resnet.stem == Stem::kImageNet) x = torch::max_pool2d(x, 3, 2, 1);
  for (auto& stage : stages_) x = stage->forward(x);
  x = tap(Tap::kPrePool, x);
  return tap(Tap::kLayer, fc->forward(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1)));
}

std::string ResNetImpl::script_source() const {
  std::vector<std::string> lines = {"x = torch.relu(self.bn1.forward(self.conv1.forward(x)))"};
  if (spec_.resnet.stem == Stem::kImageNet) lines.push_back("x = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1])");
  for (size_t s = 0; s < stages_.size(); ++s) lines.push_back("x = " + script::call("layer" + std::to_string(s + 1), "x"));
  lines.push_back("x = torch.adaptive_avg_pool2d(x, [1, 1])");
  lines.push_back("return self.fc.forward(torch.flatten(x, 1))");
  return script::forward(lines);
}

std::vector<LayerMap> ResNetImpl::layer_maps(const torch::Tensor& x) {
  std::vector<LayerMap> maps;
  nn::Conv2d c1 = conv1;
  nn::BatchNorm2d b1 = bn1;
  const bool pool = spec_.resnet.stem == Stem::kImageNet;
  maps.push_back({"conv1", x, [=](const torch::Tensor& z) mutable {
                    torch::Tensor h = torch::relu(b1->forward(c1->forward(z)));
                    return pool ? torch::max_pool2d(h, 3, 2, 1) : h;
                  }});
  torch::Tensor h = maps.back().apply(x);
  for (size_t s = 0; s < stages_.size(); ++s)
    for (size_t b = 0; b < stages_[s]->size(); ++b) {
      ResBlock block(stages_[s]->ptr<ResBlockImpl>(b));
      maps.push_back({"layer" + std::to_string(s + 1) + "." + std::to_string(b), h,
                      [=](const torch::Tensor& z) mutable { return block->forward(z); }});
      h = maps.back().apply(h);
    }
  return maps;
}

std::vector<LayerInfo> ResNetImpl::layer_table() const {
  std::vector<LayerInfo> rows;
  LayerInfo stem;
  stem.name = "conv1";
  stem.kind = spec_.resnet.stem == Stem::kImageNet ? "stem7x7+maxpool" : "stem3x3";
  stem.fan_in = spec_.input[0];
  stem.out = spec_.resnet.stem_width;
  stem.stride = spec_.resnet.stem == Stem::kImageNet ? 4 : 1;
  stem.params = count_parameters(*conv1) + count_parameters(*bn1);
  rows.push_back(stem);
  const auto blocks = residual_blocks(spec_);
  size_t next = 0;
  for (const auto& stage : stages_)
    for (const auto& module : *stage) {
      const ResidualBlock& b = blocks[next++];
      LayerInfo row;
      row.name = b.label;
      row.kind = to_string(spec_.resnet.block) + (b.projection ? "+proj" : "");
      row.fan_in = b.inp;
      row.out = b.out;
      row.stride = b.stride;
      row.params = count_parameters(*module.ptr());
      rows.push_back(row);
    }
  rows.push_back(head_row("fc", "gap+linear", fc));
  return rows;
}

}  // namespace nnmass
