// Architecture spec: which family, its cells (dense families) or blocks (residual families), the
// input shape and the number of classes. A spec is plain data; `validate` says in one line what is
// wrong with it. JSON reading and writing lives in spec_json.h. Method spec §1.1, §2.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnmass/nb201.h"

namespace nnmass {

// Generous caps: any real network fits, and the closed forms stay exact in 64-bit integers.
constexpr int kMaxDepth = 100000;
constexpr int kMaxWidth = 1 << 20;
constexpr int64_t kMaxInputDim = int64_t{1} << 24;

enum class Family {
  kMlp,           // DenseNet-type MLP (§2.1): one Linear per layer, random concatenation links
  kCnn,           // DenseNet-type CNN, regular 3x3 convs (§2.2)
  kDepthwiseCnn,  // DenseNet-type CNN whose layers are 1x1 -> depthwise 3x3 -> 1x1 blocks (§2.2)
  kResNet,        // ResNet / Wide-ResNet / ResNeXt, addition skips (§2.3)
  kMobileNetV2,   // MobileNet-v2, inverted residuals (§2.3)
  kNb201,         // NAS-Bench-201: one searched cell in a fixed ResNet-like skeleton (spec/nb201.md)
};

enum class Activation { kElu, kRelu };
// kGap: global average pool + Linear (any input size, any cell count). kReference: AvgPool(2) +
// flatten + Linear, the official CIFAR code's head (its parameter count depends on the input size).
enum class Head { kGap, kReference };
// Where layer i draws its long-range links from: kPaper = layers 0..i-2 of its cell (the paper, the
// official MLP); kReference = layers 1..i-1 (the official CNN). NN-Mass is the same either way.
enum class LinkPool { kPaper, kReference };
enum class Block { kBasic, kBottleneck };
// ResNet: kImageNet = 7x7/2 conv + 3x3/2 max-pool, kCifar = 3x3/1 conv, no pool. MobileNet-v2:
// kImageNet = 3x3/2 conv (torchvision), kCifar = the same conv at stride 1, for 28x28-32x32 inputs.
enum class Stem { kImageNet, kCifar };

// One cell of a DenseNet-type network (§1.1).
struct Cell {
  int depth = 0;  // d_c: layers in the cell (the MLP's classifier counts in its last cell)
  int width = 0;  // w_c: neurons / channels per layer
  int tc = 0;     // t_c: most long-range inputs a layer may take
};

// Layout of a ResNet-family network (torchvision's conventions).
struct ResNetLayout {
  Block block = Block::kBasic;
  std::vector<int> layers = {2, 2, 2, 2};           // residual blocks per stage
  std::vector<int> planes = {64, 128, 256, 512};    // planes per stage (bottleneck outputs 4x)
  Stem stem = Stem::kImageNet;
  int stem_width = 64;        // channels out of the stem
  int groups = 1;             // ResNeXt cardinality (bottleneck only)
  int width_per_group = 64;   // 64 = standard; 128 = Wide-ResNet-x2 (bottleneck only)
};

// Layout of a MobileNet-v2 (torchvision's / d-li14's conventions).
struct MobileNetV2Layout {
  double width_mult = 1.0;                           // channel multiplier
  std::vector<int> repeats = {1, 2, 3, 4, 3, 3, 1};  // blocks per stage, 7 stages
  Stem stem = Stem::kImageNet;                       // stride 2 (imagenet) or 1 (cifar)
};

// Layout of a NAS-Bench-201 network: the cell and the skeleton's size (C = 16, N = 5 standard).
struct Nb201Layout {
  Nb201Cell cell = nb201_best_cifar10_cell();
  int channels = 16;        // C: channels of the first stage (then 2C, 4C)
  int cells_per_stage = 5;  // N
};

struct Spec {
  Family family = Family::kMlp;
  std::string name;                     // optional label, e.g. "resnet18"
  std::vector<int64_t> input = {784};   // [features...] (MLP, flattened) or [C, H, W]
  int classes = 10;                     // outputs of the classifier
  // Dense families only.
  std::vector<Cell> cells;
  Activation activation = Activation::kElu;  // MLP only
  Head head = Head::kGap;                    // CNNs only
  LinkPool link_pool = LinkPool::kPaper;
  // Residual families only.
  ResNetLayout resnet;
  MobileNetV2Layout mobilenet;
  Nb201Layout nb201;  // family nb201 only
};

// True for the families with concatenation links inside cells (MLP and both CNNs).
bool is_dense(Family family);

// Throws SpecError naming the first field that is missing, malformed or impossible.
void validate(const Spec& spec);

// Names used in JSON and on the command line ("mlp", "cnn", "dwcnn", "resnet", "mobilenet_v2", "nb201", ...).
std::string to_string(Family family);
std::string to_string(Activation activation);
std::string to_string(Head head);
std::string to_string(LinkPool pool);
std::string to_string(Block block);
std::string to_string(Stem stem);
// Parsers; `field` names the field in the error message.
Family parse_family(const std::string& text, const std::string& field = "family");
Activation parse_activation(const std::string& text, const std::string& field = "activation");
Head parse_head(const std::string& text, const std::string& field = "head");
LinkPool parse_link_pool(const std::string& text, const std::string& field = "link_pool");
Block parse_block(const std::string& text, const std::string& field = "block");
Stem parse_stem(const std::string& text, const std::string& field = "stem");

// Standard layouts by name, at 3x224x224 and 1000 classes: resnet18/34/50/101/152,
// wide_resnet50_2, wide_resnet101_2, resnext50_32x4d, resnext101_32x8d, mobilenet_v2.
Spec standard_spec(const std::string& arch);
std::vector<std::string> standard_arch_names();

}  // namespace nnmass
