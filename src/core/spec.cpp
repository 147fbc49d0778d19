// Spec validation, enum names and the standard torchvision layouts.
#include "nnmass/spec.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "nnmass/error.h"

namespace nnmass {
namespace {

template <typename E>
struct NameOf {
  E value;
  const char* name;
};

constexpr NameOf<Family> kFamilies[] = {{Family::kMlp, "mlp"},
                                        {Family::kCnn, "cnn"},
                                        {Family::kDepthwiseCnn, "dwcnn"},
                                        {Family::kResNet, "resnet"},
                                        {Family::kMobileNetV2, "mobilenet_v2"},
                                        {Family::kNb201, "nb201"}};
constexpr NameOf<Activation> kActivations[] = {{Activation::kElu, "elu"},
                                               {Activation::kRelu, "relu"}};
constexpr NameOf<Head> kHeads[] = {{Head::kGap, "gap"}, {Head::kReference, "reference"}};
constexpr NameOf<LinkPool> kPools[] = {{LinkPool::kPaper, "paper"},
                                       {LinkPool::kReference, "reference"}};
constexpr NameOf<Block> kBlocks[] = {{Block::kBasic, "basic"}, {Block::kBottleneck, "bottleneck"}};
constexpr NameOf<Stem> kStems[] = {{Stem::kImageNet, "imagenet"}, {Stem::kCifar, "cifar"}};

template <typename E, size_t N>
std::string name_of(const NameOf<E> (&table)[N], E value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  return "?";
}

template <typename E, size_t N>
E parse_name(const NameOf<E> (&table)[N], const std::string& text, const std::string& field) {
  std::string choices;
  for (const auto& entry : table) {
    if (text == entry.name) return entry.value;
    choices += (choices.empty() ? "" : ", ") + std::string(entry.name);
  }
  throw SpecError(field + " must be one of " + choices + ", got \"" + text + "\"");
}

[[noreturn]] void fail(const std::string& message) { throw SpecError(message); }

void check_range(int64_t value, int64_t lo, int64_t hi, const std::string& field,
                 const char* what) {
  if (value < lo || value > hi)
    fail(field + " must be " + what + ", got " + std::to_string(value));
}

void validate_input(const Spec& spec) {
  if (spec.input.empty()) fail("input must list at least one dimension, got []");
  if (spec.family != Family::kMlp && spec.input.size() != 3)
    fail("input must be [channels, height, width] for family " + to_string(spec.family) +
         ", got " + std::to_string(spec.input.size()) + " dimensions");
  for (size_t k = 0; k < spec.input.size(); ++k)
    check_range(spec.input[k], 1, kMaxInputDim, "input[" + std::to_string(k) + "]",
                "between 1 and 16777216");
  if (spec.family == Family::kMlp) {
    int64_t features = 1;
    for (int64_t d : spec.input) {
      features *= d;
      if (features > kMaxInputDim) fail("input has more than 16777216 features in all");
    }
  }
  check_range(spec.classes, 1, kMaxWidth, "classes", "between 1 and 1048576");
}

void validate_cells(const Spec& spec) {
  if (spec.cells.empty()) fail("cells must hold at least one cell for family " +
                               to_string(spec.family));
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const Cell& cell = spec.cells[c];
    const std::string at = "cells[" + std::to_string(c) + "].";
    // Density divides by sum_{i=2}^{d-1} w(i-1): a cell needs a layer that can take links.
    if (cell.depth < 3)
      fail(at + "depth must be at least 3 (a dense cell needs a layer with long-range links), got " +
           std::to_string(cell.depth));
    check_range(cell.depth, 3, kMaxDepth, at + "depth", "at most 100000");
    check_range(cell.width, 1, kMaxWidth, at + "width", "positive (at most 1048576)");
    check_range(cell.tc, 0, INT32_MAX, at + "tc", "zero or positive");
  }
}

// The reference head pools the last feature map by 2: it must be at least 2x2.
void validate_cnn_head(const Spec& spec) {
  if (spec.head != Head::kReference) return;
  int64_t h = spec.input[1], w = spec.input[2];
  for (size_t c = 1; c < spec.cells.size(); ++c) {
    h = (h - 1) / 2 + 1;
    w = (w - 1) / 2 + 1;
  }
  if (h < 2 || w < 2)
    fail("head \"reference\" needs a final feature map of at least 2x2, got " +
         std::to_string(h) + "x" + std::to_string(w) + "; use head \"gap\" or a larger input");
}

void validate_resnet(const ResNetLayout& r) {
  if (r.layers.empty()) fail("layers must list the blocks of at least one stage");
  if (r.planes.size() != r.layers.size())
    fail("planes must have one entry per stage (" + std::to_string(r.layers.size()) + "), got " +
         std::to_string(r.planes.size()));
  for (size_t s = 0; s < r.layers.size(); ++s) {
    check_range(r.layers[s], 1, kMaxDepth, "layers[" + std::to_string(s) + "]",
                "at least 1");
    check_range(r.planes[s], 1, kMaxWidth, "planes[" + std::to_string(s) + "]",
                "positive (at most 1048576)");
  }
  check_range(r.stem_width, 1, kMaxWidth, "stem_width", "positive (at most 1048576)");
  check_range(r.groups, 1, kMaxWidth, "groups", "positive");
  check_range(r.width_per_group, 1, kMaxWidth, "width_per_group", "positive");
  if (r.block == Block::kBasic && (r.groups != 1 || r.width_per_group != 64))
    fail("block \"basic\" supports only groups 1 and width_per_group 64 (got " +
         std::to_string(r.groups) + ", " + std::to_string(r.width_per_group) +
         "); widen a basic ResNet with planes");
  if (r.block == Block::kBottleneck) {
    // torchvision: width = floor(planes * width_per_group / 64) * groups; it must not vanish.
    for (size_t s = 0; s < r.planes.size(); ++s)
      if (int64_t{r.planes[s]} * r.width_per_group < 64)
        fail("planes[" + std::to_string(s) + "] * width_per_group must be at least 64 (the " +
             "bottleneck width is floor(planes*width_per_group/64)*groups)");
  }
}

void validate_mobilenet(const MobileNetV2Layout& m) {
  if (!std::isfinite(m.width_mult) || m.width_mult <= 0 || m.width_mult > 64)
    fail("width_mult must be a positive number (at most 64), got " +
         std::to_string(m.width_mult));
  if (m.repeats.size() != 7)
    fail("repeats must list 7 stages, got " + std::to_string(m.repeats.size()));
  for (size_t s = 0; s < m.repeats.size(); ++s)
    check_range(m.repeats[s], 0, kMaxDepth, "repeats[" + std::to_string(s) + "]",
                "zero or positive");
}

void validate_nb201(const Spec& spec) {
  const Nb201Layout& n = spec.nb201;
  // Each reduction halves the map twice over (a stride-2 conv and a 2x2 pool) and adds the two:
  // both agree only on even sizes, so height and width must be multiples of 4.
  if (spec.input[1] % 4 != 0 || spec.input[2] % 4 != 0)
    fail("input height and width must be multiples of 4 for family nb201 (two reductions by 2), got " +
         std::to_string(spec.input[1]) + "x" + std::to_string(spec.input[2]));
  check_range(n.channels, 1, kMaxWidth / 4, "channels", "between 1 and 262144");
  check_range(n.cells_per_stage, 1, kMaxDepth, "cells_per_stage", "between 1 and 100000");
}

}  // namespace

bool is_dense(Family family) {
  return family == Family::kMlp || family == Family::kCnn || family == Family::kDepthwiseCnn;
}

void validate(const Spec& spec) {
  validate_input(spec);
  if (is_dense(spec.family)) {
    validate_cells(spec);
    if (spec.family != Family::kMlp) validate_cnn_head(spec);
  } else if (spec.family == Family::kResNet) {
    validate_resnet(spec.resnet);
  } else if (spec.family == Family::kMobileNetV2) {
    validate_mobilenet(spec.mobilenet);
  } else {
    validate_nb201(spec);
  }
}

std::string to_string(Family v) { return name_of(kFamilies, v); }
std::string to_string(Activation v) { return name_of(kActivations, v); }
std::string to_string(Head v) { return name_of(kHeads, v); }
std::string to_string(LinkPool v) { return name_of(kPools, v); }
std::string to_string(Block v) { return name_of(kBlocks, v); }
std::string to_string(Stem v) { return name_of(kStems, v); }

Family parse_family(const std::string& t, const std::string& f) { return parse_name(kFamilies, t, f); }
Activation parse_activation(const std::string& t, const std::string& f) {
  return parse_name(kActivations, t, f);
}
Head parse_head(const std::string& t, const std::string& f) { return parse_name(kHeads, t, f); }
LinkPool parse_link_pool(const std::string& t, const std::string& f) {
  return parse_name(kPools, t, f);
}
Block parse_block(const std::string& t, const std::string& f) { return parse_name(kBlocks, t, f); }
Stem parse_stem(const std::string& t, const std::string& f) { return parse_name(kStems, t, f); }

namespace {

struct StandardResNet {
  const char* name;
  Block block;
  std::vector<int> layers;
  int groups;
  int width_per_group;
};

const std::vector<StandardResNet>& standard_resnets() {
  static const std::vector<StandardResNet> table = {
      {"resnet18", Block::kBasic, {2, 2, 2, 2}, 1, 64},
      {"resnet34", Block::kBasic, {3, 4, 6, 3}, 1, 64},
      {"resnet50", Block::kBottleneck, {3, 4, 6, 3}, 1, 64},
      {"resnet101", Block::kBottleneck, {3, 4, 23, 3}, 1, 64},
      {"resnet152", Block::kBottleneck, {3, 8, 36, 3}, 1, 64},
      {"wide_resnet50_2", Block::kBottleneck, {3, 4, 6, 3}, 1, 128},
      {"wide_resnet101_2", Block::kBottleneck, {3, 4, 23, 3}, 1, 128},
      {"resnext50_32x4d", Block::kBottleneck, {3, 4, 6, 3}, 32, 4},
      {"resnext101_32x8d", Block::kBottleneck, {3, 4, 23, 3}, 32, 8},
  };
  return table;
}

}  // namespace

std::vector<std::string> standard_arch_names() {
  std::vector<std::string> names;
  for (const auto& r : standard_resnets()) names.push_back(r.name);
  names.push_back("mobilenet_v2");
  return names;
}

Spec standard_spec(const std::string& arch) {
  Spec spec;
  spec.name = arch;
  spec.input = {3, 224, 224};
  spec.classes = 1000;
  if (arch == "mobilenet_v2") {
    spec.family = Family::kMobileNetV2;
    return spec;
  }
  for (const auto& r : standard_resnets()) {
    if (arch != r.name) continue;
    spec.family = Family::kResNet;
    spec.resnet.block = r.block;
    spec.resnet.layers = r.layers;
    spec.resnet.groups = r.groups;
    spec.resnet.width_per_group = r.width_per_group;
    return spec;
  }
  std::string names;
  for (const auto& n : standard_arch_names()) names += (names.empty() ? "" : ", ") + n;
  throw SpecError("arch must be one of " + names + ", got \"" + arch + "\"");
}

}  // namespace nnmass
