// Residual blocks of the addition-skip families (§2.3) and their NN-Mass terms. Each block is a
// small cell whose shortcut supplies `inp` long-range channels; a projection shortcut counts like
// an identity one (the official code's convention).
//   basic:      m = inp + planes
//   bottleneck: m = (inp + 2*width) * inp / (2*inp + width),  width = planes*wpg/64*groups
//   inverted:   m = (inp + 2*hidden) * inp / (2*inp + hidden) if stride 1 and inp == oup, else 0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnmass/spec.h"

namespace nnmass {

struct ResidualBlock {
  std::string label;  // torchvision's module path: "layer2.0", "features.4"
  int inp = 0;        // input channels
  int mid = 0;        // inner width (bottleneck width, MobileNet hidden), = planes for basic
  int out = 0;        // output channels
  int stride = 1;
  int expand = 1;     // MobileNet expansion ratio t (1: no expansion conv)
  bool projection = false;  // ResNet: a 1x1 conv + BN shortcut
  bool residual = true;     // has a skip connection (MobileNet: stride 1 and inp == out)
};

// torchvision's make_divisible: round to the nearest multiple of `divisor`, never below 90 %.
int make_divisible(double value, int divisor = 8);

// The blocks of a ResNet-family or MobileNet-v2 spec, in network order.
std::vector<ResidualBlock> residual_blocks(const Spec& spec);
// MobileNet-v2 stem and last-conv channels for a width multiplier.
int mobilenet_stem_channels(double width_mult);
int mobilenet_last_channels(double width_mult);
// The MobileNet-v2 stem's stride: 2 (imagenet) or 1 (cifar).
int mobilenet_stem_stride(const MobileNetV2Layout& layout);

// The NN-Mass term of one block (zero for a block without a skip), with its volume and links.
void residual_block_terms(Family family, Block block, const ResidualBlock& b, int64_t* volume,
                          int64_t* links, int64_t* possible);

}  // namespace nnmass
