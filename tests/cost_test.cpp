// #params, MACs and FLOPs in closed form (cost.h).
//
// Golden values:
//   * MLP: the official MNIST logs (method.md §5.2 table: params and FLOPs columns), whose
//     convention is params = sum(in*out + out), FLOPs = sum(2*in*out + out) (§2.1).
//   * Dense CNN: 867,656 params for the default depth-wise CIFAR CNN (the repo's committed log,
//     §1.3) and 4,653,192 for the regular one of the same shape (§1.3).
//   * ResNet / WRN / ResNeXt / MobileNet-v2: torchvision's parameter counts (exact, the numbers in
//     torchvision's model docs) and its published GMACs at 224x224 (approximate). Exact MACs were
//     recounted independently (pure Python over torchvision's layouts, Linear + Conv only, as
//     cost.h defines MACs) and are pinned too.
//   * MobileNet-v2 x1.4 and the width-1.1 ImageNet model: §2.3 (6.11 M / 582 M, 4.30 M / 419 M).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "nnmass/cost.h"
#include "nnmass/error.h"
#include "nnmass/spec.h"

using namespace nnmass;

namespace {

Spec mlp_spec(int width, int depth, int tc) {
  Spec s;
  s.family = Family::kMlp;
  s.input = {784};
  s.classes = 10;
  s.cells = {Cell{depth, width, tc}};
  return s;
}

// The default CIFAR CNN of train_cifar.py (§1.3, §4.2).
Spec cifar_cnn(Family family) {
  Spec s;
  s.family = family;
  s.input = {3, 32, 32};
  s.classes = 10;
  s.head = Head::kReference;
  s.cells = {Cell{13, 32, 40}, Cell{13, 64, 80}, Cell{13, 128, 125}};
  return s;
}

// |actual / expected - 1| <= rel
void expect_rel(double actual, double expected, double rel, const std::string& what) {
  EXPECT_LE(std::abs(actual / expected - 1.0), rel)
      << what << ": actual " << actual << ", expected " << expected << " within " << rel * 100
      << " %";
}

// Rounds to 3 significant figures in millions, e.g. 6108776 -> 6.11.
double millions_3sf(int64_t n) { return std::round(double(n) / 1e4) / 100.0; }

}  // namespace

TEST(CostTest, ConvOutSize) {
  EXPECT_EQ(conv_out_size(32, 3, 1, 1), 32);
  EXPECT_EQ(conv_out_size(32, 3, 2, 1), 16);
  EXPECT_EQ(conv_out_size(33, 3, 2, 1), 17);
  EXPECT_EQ(conv_out_size(7, 3, 2, 1), 4);
  EXPECT_EQ(conv_out_size(224, 7, 2, 3), 112);  // ResNet stem
  EXPECT_EQ(conv_out_size(112, 3, 2, 1), 56);   // ResNet max-pool
  EXPECT_EQ(conv_out_size(8, 2, 2, 0), 4);      // AvgPool(2)
  EXPECT_EQ(conv_out_size(5, 2, 2, 0), 2);      // floor convention
  EXPECT_EQ(conv_out_size(1, 3, 2, 1), 1);
  EXPECT_EQ(conv_out_size(5, 1, 1, 0), 5);
}

// §5.2 table (and t_c = 0 from the same logs): width 8, MNIST (784 inputs, 10 classes).
TEST(CostTest, MlpMatchesOfficialLogs) {
  struct Row {
    int depth, tc;
    int64_t params, flops;
  };
  const Row rows[] = {{16, 0, 7378, 14626}, {16, 1, 7492, 14854}, {20, 1, 7812, 15462},
                      {24, 1, 8132, 16070}, {32, 1, 8772, 17286}, {20, 3, 8104, 16046},
                      {28, 3, 8872, 17518}, {32, 3, 9256, 18254}, {20, 7, 8688, 17214},
                      {16, 8, 8290, 16450}, {20, 8, 8834, 17506}, {24, 8, 9378, 18562}};
  for (const Row& r : rows) {
    SCOPED_TRACE(testing::Message() << "d=" << r.depth << " tc=" << r.tc);
    const Cost c = count_cost(mlp_spec(8, r.depth, r.tc));
    EXPECT_EQ(c.params, r.params);
    EXPECT_EQ(c.flops, r.flops);
    // FLOPs = 2*MACs + bias additions; the biases are (depth-1)*8 + 10 outputs.
    EXPECT_EQ(c.flops, 2 * c.macs + (r.depth - 1) * 8 + 10);
  }
}

// MLP by hand: 784 -> 8 -> 8 -> (8 + 2) -> 10 for d=4, w=8, t_c=2 (layer 2 takes min(8, 2) = 2,
// layer 3 takes min(16, 2) = 2). MACs = 784*8 + 8*8 + 10*8 + 10*10 = 6516.
TEST(CostTest, MlpByHand) {
  const Cost c = count_cost(mlp_spec(8, 4, 2));
  EXPECT_EQ(c.macs, 6272 + 64 + 80 + 100);
  EXPECT_EQ(c.params, c.macs + 8 + 8 + 8 + 10);
  EXPECT_EQ(c.flops, 2 * c.macs + 34);
  // The input is flattened: [1, 28, 28] costs the same as [784].
  Spec s = mlp_spec(8, 4, 2);
  s.input = {1, 28, 28};
  const Cost c2 = count_cost(s);
  EXPECT_EQ(c2.params, c.params);
  EXPECT_EQ(c2.macs, c.macs);
  EXPECT_EQ(c2.flops, c.flops);
}

// §1.3: the default CIFAR CNN (depth-wise layers) has 867,656 parameters; the regular one of the
// same shape 4,653,192.
TEST(CostTest, DenseCnnDefaultCifar) {
  const Cost dw = count_cost(cifar_cnn(Family::kDepthwiseCnn));
  EXPECT_EQ(dw.params, 867656);
  const Cost regular = count_cost(cifar_cnn(Family::kCnn));
  EXPECT_EQ(regular.params, 4653192);
  // Regular: all convs bias-free, so FLOPs = 2*MACs + the head's 10 bias adds. MACs recounted by
  // hand (Python): per layer 9 * in * w * H * W, H = 32/16/8 per cell, head 128*4*4*10.
  EXPECT_EQ(regular.macs, 706260992);
  EXPECT_EQ(regular.flops, 2 * regular.macs + 10);
  // The depth-wise CNN is far cheaper, and its FLOPs count at least 2 per MAC.
  // Depth-wise: conv_depth = 1x1 (at the input resolution) + depthwise 3x3 (stride 2 in a cell's
  // first layer) + 1x1, all bias-free (model_zoo.py conv_depth defaults), so again FLOPs =
  // 2*MACs + 10. MACs recounted by hand (Python) from that layout.
  EXPECT_EQ(dw.macs, 128684032);
  EXPECT_EQ(dw.flops, 2 * dw.macs + 10);
  EXPECT_LT(dw.macs, regular.macs / 4);
}

// A 1-cell regular CNN with the GAP head, by hand. input 3x8x8, classes 10, cell d=3 w=4 t_c=2.
//   layer 0: conv3x3 3->4, no bias: 108 params; BN(4): 8.   MACs 9*3*4*64 = 6912
//   layer 1: conv3x3 4->4, no bias: 144 params; BN(4): 8.   MACs 9*4*4*64 = 9216
//   layer 2: t_2 = min(4*1, 2) = 2; BN(4+2): 12; conv3x3 6->4: 216 params.  MACs 9*6*4*64 = 13824
//   head: global average pool, Linear(4 -> 10) with bias: 50 params, 40 MACs.
//   params = 108+8+144+8+12+216+50 = 546; MACs = 29992; FLOPs = 2*29992 + 10 = 59994.
TEST(CostTest, SmallCnnByHand) {
  Spec s;
  s.family = Family::kCnn;
  s.input = {3, 8, 8};
  s.classes = 10;
  s.head = Head::kGap;
  s.cells = {Cell{3, 4, 2}};
  const Cost c = count_cost(s);
  EXPECT_EQ(c.params, 546);
  EXPECT_EQ(c.macs, 29992);
  EXPECT_EQ(c.flops, 59994);
}

// Two cells: cell 1 starts with a stride-2 3x3 conv (pad 1), so 9x9 -> (9-1)/2+1 = 5x5.
//   cell 0 (9x9): 9*3*4*81 + 2 * 9*4*4*81 = 8748 + 23328
//   cell 1 (5x5): 3 * 9*4*4*25 = 10800;  head 4*10 = 40.   MACs = 42916
//   params: convs 108 + 5*144 = 828, BN 6*(2*4) = 48 (t_c = 0), head 50 -> 926.
TEST(CostTest, TwoCellCnnSpatialRule) {
  Spec s;
  s.family = Family::kCnn;
  s.input = {3, 9, 9};
  s.classes = 10;
  s.head = Head::kGap;
  s.cells = {Cell{3, 4, 0}, Cell{3, 4, 0}};
  ASSERT_EQ(conv_out_size(9, 3, 2, 1), 5);
  const Cost c = count_cost(s);
  EXPECT_EQ(c.macs, 42916);
  EXPECT_EQ(c.params, 926);
  EXPECT_EQ(c.flops, 2 * 42916 + 10);
}

// Long-range links add input channels: more t_c, more params and MACs; NN-Mass aside, the cost
// grows linearly in the links (regular CNN: each extra input channel costs 9*w weights + 2 BN).
TEST(CostTest, CnnCostGrowsWithLinks) {
  Spec a;
  a.family = Family::kCnn;
  a.input = {3, 8, 8};
  a.classes = 10;
  a.head = Head::kGap;
  a.cells = {Cell{5, 4, 0}};
  Spec b = a;
  b.cells[0].tc = 3;  // layers 2, 3, 4 take 3 links each: 9 extra input channels
  const Cost ca = count_cost(a), cb = count_cost(b);
  EXPECT_EQ(cb.params - ca.params, 9 * (9 * 4 + 2));
  EXPECT_EQ(cb.macs - ca.macs, 9 * 9 * 4 * 64);
}

// torchvision's parameter counts at 1000 classes (exact; torchvision model docs).
TEST(CostTest, TorchvisionParams) {
  const struct {
    const char* name;
    int64_t params;
  } rows[] = {{"resnet18", 11689512},        {"resnet34", 21797672},
              {"resnet50", 25557032},        {"resnet101", 44549160},
              {"resnet152", 60192808},       {"wide_resnet50_2", 68883240},
              {"wide_resnet101_2", 126886696}, {"resnext50_32x4d", 25028904},
              {"resnext101_32x8d", 88791336},  {"mobilenet_v2", 3504872}};
  for (const auto& r : rows) EXPECT_EQ(count_cost(standard_spec(r.name)).params, r.params) << r.name;
}

// MACs at 224x224 against torchvision's published GMACs (within 1.5 %), and exactly against an
// independent recount (Conv + Linear multiply-accumulates only, downsample convs included).
TEST(CostTest, TorchvisionMacs) {
  const struct {
    const char* name;
    double published;
    int64_t exact;
  } rows[] = {{"resnet18", 1.814e9, 1814073344},     {"resnet34", 3.664e9, 3663761408},
              {"resnet50", 4.089e9, 4089184256},     {"resnet101", 7.801e9, 7801405440},
              {"wide_resnet50_2", 11.4e9, 11398021120}, {"resnext50_32x4d", 4.23e9, 4230479872},
              {"mobilenet_v2", 300.8e6, 300774272}};
  for (const auto& r : rows) {
    const Cost c = count_cost(standard_spec(r.name));
    expect_rel(double(c.macs), r.published, 0.015, r.name);
    EXPECT_EQ(c.macs, r.exact) << r.name;
    // Only the classifier has a bias: FLOPs = 2*MACs + classes.
    EXPECT_EQ(c.flops, 2 * c.macs + 1000) << r.name;
  }
}

// §2.3: MobileNet-v2 x1.4 = 6.11 M params, 582 M MACs; the width-1.1, repeats [2,3,4,5,4,3,1]
// ImageNet model of train_imagenet.py = 4.30 M params, 419 M MACs. Exact values recounted.
TEST(CostTest, MobileNetV2Variants) {
  Spec x14 = standard_spec("mobilenet_v2");
  x14.mobilenet.width_mult = 1.4;
  const Cost c14 = count_cost(x14);
  EXPECT_DOUBLE_EQ(millions_3sf(c14.params), 6.11);
  expect_rel(double(c14.macs), 582e6, 0.01, "mobilenet_v2 x1.4");
  EXPECT_EQ(c14.params, 6108776);
  EXPECT_EQ(c14.macs, 582195824);
  EXPECT_EQ(c14.flops, 2 * c14.macs + 1000);

  Spec designed = standard_spec("mobilenet_v2");
  designed.mobilenet.width_mult = 1.1;
  designed.mobilenet.repeats = {2, 3, 4, 5, 4, 3, 1};
  const Cost cd = count_cost(designed);
  EXPECT_DOUBLE_EQ(millions_3sf(cd.params), 4.30);
  expect_rel(double(cd.macs), 419e6, 0.01, "designed mobilenet_v2");
  EXPECT_EQ(cd.params, 4304504);
  EXPECT_EQ(cd.macs, 419189840);

  Spec x075 = standard_spec("mobilenet_v2");
  x075.mobilenet.width_mult = 0.75;
  const Cost c075 = count_cost(x075);
  EXPECT_EQ(c075.params, 2636424);  // torchvision-layout recount
  EXPECT_EQ(c075.macs, 209069792);
}

// The cifar stem (3x3 at stride 1) on a 28x28 image leaves the same 28x28 map after the stem as
// the imagenet stem (stride 2) on 56x56, and every later layer sees the same shapes: equal costs.
TEST(CostTest, MobileNetV2CifarStemEqualsImageNetStemAtTwiceTheSize) {
  for (const double wm : {0.35, 0.5, 1.0}) {
    Spec cifar = standard_spec("mobilenet_v2");
    cifar.mobilenet.width_mult = wm;
    cifar.mobilenet.stem = Stem::kCifar;
    cifar.input = {1, 28, 28};
    cifar.classes = 10;
    Spec imagenet = cifar;
    imagenet.mobilenet.stem = Stem::kImageNet;
    imagenet.input = {1, 56, 56};
    const Cost a = count_cost(cifar), b = count_cost(imagenet);
    EXPECT_EQ(a.params, b.params) << wm;
    EXPECT_EQ(a.macs, b.macs) << wm;
    EXPECT_EQ(a.flops, b.flops) << wm;
    imagenet.input = {1, 28, 28};  // the same image through the stride-2 stem: a quarter of the work
    EXPECT_LT(count_cost(imagenet).macs, a.macs / 3) << wm;
  }
}

// The classes only change the classifier: in * classes weights + classes biases.
TEST(CostTest, ClassesOnlyChangeClassifier) {
  Spec s = standard_spec("resnet50");
  const Cost c1000 = count_cost(s);
  s.classes = 10;
  const Cost c10 = count_cost(s);
  EXPECT_EQ(c1000.params - c10.params, 2048 * 990 + 990);
  EXPECT_EQ(c1000.macs - c10.macs, 2048 * 990);
}

// cost.h: "throws SpecError if a count overflows 64 bits".
TEST(CostTest, OverflowThrows) {
  Spec s;
  s.family = Family::kCnn;
  s.input = {3, 1 << 24, 1 << 24};
  s.classes = 10;
  s.head = Head::kGap;
  s.cells = {Cell{3, 1 << 20, 0}};  // one conv alone: 9*3*2^20*2^48 MACs > 2^63
  EXPECT_THROW(count_cost(s), SpecError);

  Spec m = mlp_spec(1 << 20, 100000, 2000000000);  // ~2^51 MACs per layer, 1e5 layers
  EXPECT_THROW(count_cost(m), SpecError);
}
