// Block enumeration of the residual families (torchvision's layouts) and their NN-Mass terms
// (§2.3). Cost (cost.cpp) walks the same block list, so mass and counts can never disagree on
// the layout.
#include "nnmass/residual.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "nnmass/error.h"

namespace nnmass {
namespace {

// MobileNet-v2 stages: expansion t, output channels c, stride s (torchvision's table); the
// number of blocks per stage comes from the spec's repeats.
struct MobileStage {
  int expand;
  int channels;
  int stride;
};
constexpr MobileStage kMobileStages[7] = {{1, 16, 1},  {6, 24, 2},  {6, 32, 2}, {6, 64, 2},
                                          {6, 96, 1},  {6, 160, 2}, {6, 320, 1}};

std::vector<ResidualBlock> resnet_blocks(const ResNetLayout& r) {
  const int expansion = r.block == Block::kBasic ? 1 : 4;
  std::vector<ResidualBlock> blocks;
  int inplanes = r.stem_width;
  for (size_t s = 0; s < r.layers.size(); ++s) {
    const int planes = r.planes[s];
    const int mid = r.block == Block::kBasic
                        ? planes
                        : static_cast<int>(int64_t{planes} * r.width_per_group / 64) * r.groups;
    for (int b = 0; b < r.layers[s]; ++b) {
      ResidualBlock blk;
      blk.label = "layer" + std::to_string(s + 1) + "." + std::to_string(b);
      blk.inp = inplanes;
      blk.mid = mid;
      blk.out = planes * expansion;
      blk.stride = (b == 0 && s > 0) ? 2 : 1;
      blk.projection = blk.stride != 1 || blk.inp != blk.out;
      blocks.push_back(blk);
      inplanes = blk.out;
    }
  }
  return blocks;
}

std::vector<ResidualBlock> mobilenet_blocks(const MobileNetV2Layout& m) {
  std::vector<ResidualBlock> blocks;
  int inp = mobilenet_stem_channels(m.width_mult);
  int index = 1;  // features.0 is the stem
  for (int s = 0; s < 7; ++s) {
    const MobileStage& st = kMobileStages[s];
    const int out = make_divisible(st.channels * m.width_mult);
    for (int b = 0; b < m.repeats[s]; ++b) {
      ResidualBlock blk;
      blk.label = "features." + std::to_string(index++);
      blk.inp = inp;
      blk.expand = st.expand;
      blk.mid = inp * st.expand;  // hidden = round(inp * t), t an integer
      blk.out = out;
      blk.stride = b == 0 ? st.stride : 1;
      blk.residual = blk.stride == 1 && blk.inp == blk.out;
      blocks.push_back(blk);
      inp = out;
    }
  }
  return blocks;
}

}  // namespace

int make_divisible(double value, int divisor) {
  int rounded = std::max(divisor, static_cast<int>(value + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * value) rounded += divisor;  // never round down by more than 10 %
  return rounded;
}

int mobilenet_stem_channels(double width_mult) { return make_divisible(32 * width_mult); }

int mobilenet_stem_stride(const MobileNetV2Layout& layout) { return layout.stem == Stem::kCifar ? 1 : 2; }

int mobilenet_last_channels(double width_mult) {
  return make_divisible(1280 * std::max(1.0, width_mult));
}

std::vector<ResidualBlock> residual_blocks(const Spec& spec) {
  if (spec.family == Family::kResNet) return resnet_blocks(spec.resnet);
  if (spec.family == Family::kMobileNetV2) return mobilenet_blocks(spec.mobilenet);
  throw SpecError("residual blocks exist only in families resnet and mobilenet_v2, not " +
                  to_string(spec.family));
}

void residual_block_terms(Family family, Block block, const ResidualBlock& b, int64_t* volume,
                          int64_t* links, int64_t* possible) {
  *volume = *links = *possible = 0;
  if (!b.residual) return;
  *links = b.inp;  // the shortcut carries the block's input channels
  if (family == Family::kResNet && block == Block::kBasic) {
    // Two convs; the only long-range source of the second conv's output is the block input.
    *volume = int64_t{b.inp} + b.mid;
    *possible = b.inp;
  } else {
    // A 3-layer cell inp -> mid -> mid: links into conv2 (inp) and conv3 (inp + mid) possible.
    *volume = int64_t{b.inp} + 2 * int64_t{b.mid};
    *possible = 2 * int64_t{b.inp} + b.mid;
  }
}

}  // namespace nnmass
