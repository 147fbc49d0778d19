// NN-Mass of the addition-skip families (method.md §2.3): ResNet / Wide-ResNet / ResNeXt with
// BasicBlock and Bottleneck, MobileNet-v2 inverted residuals, and torchvision's make_divisible.
//
// Golden values: the §2.3 "Reference values" table (torchvision layouts, the official code's
// per-block formulas). They were recomputed independently (pure Python over torchvision's
// layouts) before being written here; e.g. ResNet-50 = 9006.9333..., ResNet-101 = 20612.2666...,
// WRN-50-2 = ResNeXt-50-32x4d = 10883.2.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nnmass/error.h"
#include "nnmass/mass.h"
#include "nnmass/residual.h"
#include "nnmass/spec.h"

using namespace nnmass;

namespace {

int count_residual(const Spec& s) {
  int n = 0;
  for (const ResidualBlock& b : residual_blocks(s)) n += b.residual ? 1 : 0;
  return n;
}

Spec mobilenet(double width_mult) {
  Spec s = standard_spec("mobilenet_v2");
  s.mobilenet.width_mult = width_mult;
  return s;
}

// The official train_imagenet.py model (§2.3, §4.3): width 1.1, repeats [2,3,4,5,4,3,1].
Spec imagenet_designed_mobilenet() {
  Spec s = mobilenet(1.1);
  s.mobilenet.repeats = {2, 3, 4, 5, 4, 3, 1};
  return s;
}

}  // namespace

// torchvision _make_divisible: new_v = max(divisor, int(v + divisor/2) // divisor * divisor);
// if new_v < 0.9 v: new_v += divisor.
TEST(ResidualTest, MakeDivisible) {
  EXPECT_EQ(make_divisible(32 * 1.0), 32);
  EXPECT_EQ(make_divisible(24 * 0.75), 24);   // 18 -> int(22)//8*8 = 16 < 16.2 -> 24
  EXPECT_EQ(make_divisible(16 * 0.75), 16);   // 12 -> int(16)//8*8 = 16
  EXPECT_EQ(make_divisible(32 * 1.4), 48);    // 44.8 -> int(48.8)//8*8 = 48
  EXPECT_EQ(make_divisible(32 * 1.1), 32);    // 35.2 -> int(39.2)//8*8 = 32 >= 31.68
  EXPECT_EQ(make_divisible(64 * 1.1), 72);    // 70.4 -> int(74.4)//8*8 = 72
  EXPECT_EQ(make_divisible(24 * 1.4), 32);    // 33.6 -> int(37.6)//8*8 = 32 >= 30.24
  EXPECT_EQ(make_divisible(1280 * 1.4), 1792);
  EXPECT_EQ(make_divisible(11.0), 16);        // int(15)//8*8 = 8 < 9.9 -> 16 (the 90 % rule)
  EXPECT_EQ(make_divisible(3.0), 8);          // never below the divisor
  EXPECT_EQ(make_divisible(20.0, 16), 32);    // 16 < 18 -> 32
  EXPECT_EQ(make_divisible(40.0, 16), 48);    // int(48)//16*16 = 48
}

TEST(ResidualTest, MobileNetStemAndLastChannels) {
  EXPECT_EQ(mobilenet_last_channels(1.4), 1792);
  EXPECT_EQ(mobilenet_last_channels(1.0), 1280);
  EXPECT_EQ(mobilenet_last_channels(0.75), 1280);  // last channel never shrinks below 1280
  EXPECT_EQ(mobilenet_last_channels(1.1), 1408);
  EXPECT_EQ(mobilenet_stem_channels(1.0), 32);
  EXPECT_EQ(mobilenet_stem_channels(1.4), 48);
  EXPECT_EQ(mobilenet_stem_channels(0.75), 24);
  EXPECT_EQ(mobilenet_stem_channels(1.1), 32);
}

// §2.3 reference table, ResNet family. Basic-block masses are integers (inp + planes), so
// ResNet-18/34 are checked to 1e-9; bottleneck masses are rationals, checked to the table's digits.
TEST(ResidualTest, ResNetFamilyMass) {
  EXPECT_NEAR(nn_mass(standard_spec("resnet18")), 3392.0, 1e-9);
  EXPECT_NEAR(nn_mass(standard_spec("resnet34")), 7104.0, 1e-9);
  EXPECT_NEAR(nn_mass(standard_spec("resnet50")), 9006.9, 0.05);
  EXPECT_NEAR(nn_mass(standard_spec("resnet50")), 9006.0 + 14.0 / 15.0, 1e-6);
  EXPECT_NEAR(nn_mass(standard_spec("resnet101")), 20612.3, 0.05);
  EXPECT_NEAR(nn_mass(standard_spec("wide_resnet50_2")), 10883.2, 0.05);
  EXPECT_NEAR(nn_mass(standard_spec("resnext50_32x4d")), 10883.2, 0.05);
  // Not in the table; recomputed the same way (Python over torchvision layouts).
  EXPECT_NEAR(nn_mass(standard_spec("resnet152")), 30852.2667, 1e-3);
  EXPECT_NEAR(nn_mass(standard_spec("wide_resnet101_2")), 24809.6, 1e-3);
  EXPECT_NEAR(nn_mass(standard_spec("resnext101_32x8d")), 31008.0, 1e-3);
}

// §2.3 table, "residual blocks counted".
TEST(ResidualTest, ResidualBlockCounts) {
  EXPECT_EQ(count_residual(standard_spec("resnet18")), 8);
  EXPECT_EQ(count_residual(standard_spec("resnet34")), 16);
  EXPECT_EQ(count_residual(standard_spec("resnet50")), 16);
  EXPECT_EQ(count_residual(standard_spec("resnet101")), 33);
  EXPECT_EQ(count_residual(standard_spec("mobilenet_v2")), 10);
  EXPECT_EQ(mass_terms(standard_spec("resnet18")).size(), 8u);
  EXPECT_EQ(mass_terms(standard_spec("resnet50")).size(), 16u);
  EXPECT_EQ(mass_terms(standard_spec("resnet101")).size(), 33u);
  EXPECT_EQ(mass_terms(standard_spec("mobilenet_v2")).size(), 10u);
  // Every ResNet block has a shortcut; MobileNet-v2 has 17 inverted-residual blocks in all.
  EXPECT_EQ(residual_blocks(standard_spec("resnet50")).size(), 16u);
  EXPECT_EQ(residual_blocks(standard_spec("mobilenet_v2")).size(), 17u);
}

// ResNet-18 term by term: a BasicBlock's mass is inp + planes (rho = 1), so the terms are
// 64+64, 64+64, 64+128, 128+128, 128+256, 256+256, 256+512, 512+512 (sum 3392).
TEST(ResidualTest, ResNet18Terms) {
  const Spec s = standard_spec("resnet18");
  const std::vector<MassTerm> terms = mass_terms(s);
  ASSERT_EQ(terms.size(), 8u);
  const double expected[8] = {128, 128, 192, 256, 384, 512, 768, 1024};
  const char* labels[8] = {"layer1.0", "layer1.1", "layer2.0", "layer2.1",
                           "layer3.0", "layer3.1", "layer4.0", "layer4.1"};
  for (int k = 0; k < 8; ++k) {
    SCOPED_TRACE(k);
    EXPECT_EQ(terms[k].label, labels[k]);
    EXPECT_NEAR(terms[k].mass, expected[k], 1e-12);
    EXPECT_EQ(terms[k].volume, int64_t(expected[k]));
    EXPECT_EQ(terms[k].links, terms[k].possible);
    EXPECT_NEAR(terms[k].density, 1.0, 1e-15);
  }
  EXPECT_NEAR(average_density(s), 1.0, 1e-15);
}

// torchvision's block layout (labels, channels, strides, projection shortcuts) for ResNet-50.
TEST(ResidualTest, ResNet50BlockLayout) {
  const std::vector<ResidualBlock> blocks = residual_blocks(standard_spec("resnet50"));
  ASSERT_EQ(blocks.size(), 16u);
  EXPECT_EQ(blocks[0].label, "layer1.0");
  EXPECT_EQ(blocks[0].inp, 64);
  EXPECT_EQ(blocks[0].mid, 64);
  EXPECT_EQ(blocks[0].out, 256);
  EXPECT_EQ(blocks[0].stride, 1);
  EXPECT_TRUE(blocks[0].projection);  // 64 -> 256 needs a projection even at stride 1
  EXPECT_EQ(blocks[1].label, "layer1.1");
  EXPECT_EQ(blocks[1].inp, 256);
  EXPECT_FALSE(blocks[1].projection);
  EXPECT_EQ(blocks[3].label, "layer2.0");
  EXPECT_EQ(blocks[3].inp, 256);
  EXPECT_EQ(blocks[3].mid, 128);
  EXPECT_EQ(blocks[3].out, 512);
  EXPECT_EQ(blocks[3].stride, 2);
  EXPECT_TRUE(blocks[3].projection);
  EXPECT_EQ(blocks[15].label, "layer4.2");
  EXPECT_EQ(blocks[15].inp, 2048);
  EXPECT_EQ(blocks[15].mid, 512);
  EXPECT_EQ(blocks[15].out, 2048);
  for (const ResidualBlock& b : blocks) EXPECT_TRUE(b.residual) << b.label;
}

// Bottleneck width = planes * width_per_group / 64 * groups: WRN-50-2 and ResNeXt-50-32x4d have
// the same inner widths (hence the same NN-Mass), twice ResNet-50's.
TEST(ResidualTest, BottleneckInnerWidths) {
  const auto wrn = residual_blocks(standard_spec("wide_resnet50_2"));
  const auto rx = residual_blocks(standard_spec("resnext50_32x4d"));
  const auto r50 = residual_blocks(standard_spec("resnet50"));
  ASSERT_EQ(wrn.size(), 16u);
  ASSERT_EQ(rx.size(), 16u);
  for (size_t k = 0; k < 16; ++k) {
    EXPECT_EQ(wrn[k].mid, 2 * r50[k].mid) << k;
    EXPECT_EQ(rx[k].mid, wrn[k].mid) << k;
    EXPECT_EQ(rx[k].out, r50[k].out) << k;
  }
  EXPECT_EQ(rx[0].mid, 128);
}

// Hand-computed block terms (§2.3).
TEST(ResidualTest, BlockFormulas) {
  int64_t volume = -1, links = -1, possible = -1;

  // ResNet-50 layer2.0: inp 256, width 128. Volume 256 + 2*128 = 512, links 256, possible
  // 2*256 + 128 = 640: m = 512 * 256 / 640 = 204.8.
  ResidualBlock b;
  b.label = "layer2.0";
  b.inp = 256;
  b.mid = 128;
  b.out = 512;
  b.stride = 2;
  b.projection = true;
  residual_block_terms(Family::kResNet, Block::kBottleneck, b, &volume, &links, &possible);
  EXPECT_EQ(volume, 512);
  EXPECT_EQ(links, 256);
  EXPECT_EQ(possible, 640);
  EXPECT_NEAR(double(links) / possible * volume, 204.8, 1e-12);

  // ResNet-50 layer1.0: inp 64, width 64: (64 + 128) * 64 / (128 + 64) = 64.
  b.inp = 64;
  b.mid = 64;
  b.out = 256;
  b.stride = 1;
  residual_block_terms(Family::kResNet, Block::kBottleneck, b, &volume, &links, &possible);
  EXPECT_EQ(volume, 192);
  EXPECT_EQ(links, 64);
  EXPECT_EQ(possible, 192);

  // BasicBlock 128 -> 256: volume inp + planes = 384, rho = 1.
  ResidualBlock basic;
  basic.label = "layer3.0";
  basic.inp = 128;
  basic.mid = 256;
  basic.out = 256;
  basic.stride = 2;
  basic.projection = true;
  residual_block_terms(Family::kResNet, Block::kBasic, basic, &volume, &links, &possible);
  EXPECT_EQ(volume, 384);
  EXPECT_GT(links, 0);
  EXPECT_EQ(links, possible);

  // MobileNet-v2 features.3 (x1.0): inp = out = 24, t = 6, hidden 144, stride 1.
  // Volume 24 + 288 = 312, links 24, possible 48 + 144 = 192: m = 39 = 13/8 * 24.
  ResidualBlock inv;
  inv.label = "features.3";
  inv.inp = 24;
  inv.mid = 144;
  inv.out = 24;
  inv.stride = 1;
  inv.expand = 6;
  inv.residual = true;
  residual_block_terms(Family::kMobileNetV2, Block::kBasic, inv, &volume, &links, &possible);
  EXPECT_EQ(volume, 312);
  EXPECT_EQ(links, 24);
  EXPECT_EQ(possible, 192);
  EXPECT_NEAR(double(links) / possible * volume, 13.0 / 8.0 * 24.0, 1e-12);

  // A stride-2 inverted block has no skip: no links, so its term is zero.
  inv.label = "features.2";
  inv.inp = 16;
  inv.mid = 96;
  inv.out = 24;
  inv.stride = 2;
  inv.residual = false;
  residual_block_terms(Family::kMobileNetV2, Block::kBasic, inv, &volume, &links, &possible);
  EXPECT_EQ(links, 0);
}

// MobileNet-v2 x1.0 in torchvision's layout: 17 blocks labelled features.1 .. features.17.
TEST(ResidualTest, MobileNetV2BlockLayout) {
  const std::vector<ResidualBlock> blocks = residual_blocks(standard_spec("mobilenet_v2"));
  ASSERT_EQ(blocks.size(), 17u);
  for (size_t k = 0; k < blocks.size(); ++k)
    EXPECT_EQ(blocks[k].label, "features." + std::to_string(k + 1));
  // features.1: t = 1, 32 -> 16, no expansion conv, no skip.
  EXPECT_EQ(blocks[0].inp, 32);
  EXPECT_EQ(blocks[0].out, 16);
  EXPECT_EQ(blocks[0].expand, 1);
  EXPECT_EQ(blocks[0].mid, 32);
  EXPECT_FALSE(blocks[0].residual);
  // features.3: 24 -> 24, hidden 144, stride 1, skip.
  EXPECT_EQ(blocks[2].inp, 24);
  EXPECT_EQ(blocks[2].mid, 144);
  EXPECT_EQ(blocks[2].out, 24);
  EXPECT_EQ(blocks[2].stride, 1);
  EXPECT_EQ(blocks[2].expand, 6);
  EXPECT_TRUE(blocks[2].residual);
  // features.14: 96 -> 160, stride 2, no skip. features.17: 160 -> 320, no skip.
  EXPECT_EQ(blocks[13].stride, 2);
  EXPECT_FALSE(blocks[13].residual);
  EXPECT_EQ(blocks[16].inp, 160);
  EXPECT_EQ(blocks[16].out, 320);
  EXPECT_FALSE(blocks[16].residual);
  // Residual exactly when stride 1 and inp == out.
  for (const ResidualBlock& b : blocks)
    EXPECT_EQ(b.residual, b.stride == 1 && b.inp == b.out) << b.label;
}

// §2.3 table: MobileNet-v2 x0.75 / x1.0 / x1.4 -> 975 / 1287 / 1807, 10 residual blocks each.
// All three are integers here (each block gives 13/8 inp with inp a multiple of 8).
TEST(ResidualTest, MobileNetV2WidthMultipliers) {
  EXPECT_NEAR(nn_mass(mobilenet(0.75)), 975.0, 0.5);
  EXPECT_NEAR(nn_mass(mobilenet(1.0)), 1287.0, 0.5);
  EXPECT_NEAR(nn_mass(mobilenet(1.4)), 1807.0, 0.5);
  EXPECT_NEAR(nn_mass(mobilenet(1.0)), 1287.0, 1e-9);
  for (double wm : {0.75, 1.0, 1.4}) EXPECT_EQ(count_residual(mobilenet(wm)), 10) << wm;
  // The standard spec is the x1.0 one.
  EXPECT_EQ(nn_mass(standard_spec("mobilenet_v2")), nn_mass(mobilenet(1.0)));
}

// §2.3 / §4.3: the hard-coded ImageNet model of train_imagenet.py, NN-Mass 1797 with 15 residual
// blocks (22 blocks in all), close to x1.4's 1807.
TEST(ResidualTest, MobileNetV2DesignedImageNetModel) {
  const Spec s = imagenet_designed_mobilenet();
  EXPECT_NEAR(nn_mass(s), 1797.0, 0.5);
  EXPECT_EQ(count_residual(s), 15);
  EXPECT_EQ(mass_terms(s).size(), 15u);
  EXPECT_EQ(residual_blocks(s).size(), 22u);
}

// With one block per stage no block keeps its channel count at stride 1: no skip, zero mass.
TEST(ResidualTest, MobileNetWithoutSkips) {
  Spec s = standard_spec("mobilenet_v2");
  s.mobilenet.repeats = {1, 1, 1, 1, 1, 1, 1};
  EXPECT_EQ(count_residual(s), 0);
  EXPECT_EQ(nn_mass(s), 0.0);
  EXPECT_TRUE(mass_terms(s).empty());
}

// nn_mass equals the sum of mass_terms and of the per-block formula for every standard layout;
// average_density is the mean of the terms' densities.
TEST(ResidualTest, TermsSumToMassForAllStandardSpecs) {
  for (const std::string& name : standard_arch_names()) {
    SCOPED_TRACE(name);
    const Spec s = standard_spec(name);
    const std::vector<MassTerm> terms = mass_terms(s);
    ASSERT_FALSE(terms.empty());
    double sum = 0, rho = 0;
    for (const MassTerm& t : terms) {
      EXPECT_GT(t.links, 0) << t.label;
      EXPECT_NEAR(t.density, double(t.links) / double(t.possible), 1e-12) << t.label;
      EXPECT_NEAR(t.mass, t.density * double(t.volume), 1e-9) << t.label;
      sum += t.mass;
      rho += t.density;
    }
    EXPECT_NEAR(nn_mass(s), sum, 1e-9 * sum);
    EXPECT_NEAR(average_density(s), rho / terms.size(), 1e-12);

    double from_blocks = 0;
    const Block kind = s.family == Family::kResNet ? s.resnet.block : Block::kBasic;
    for (const ResidualBlock& b : residual_blocks(s)) {
      int64_t v = 0, l = 0, p = 0;
      residual_block_terms(s.family, kind, b, &v, &l, &p);
      if (l > 0) from_blocks += double(l) / double(p) * double(v);
    }
    EXPECT_NEAR(nn_mass(s), from_blocks, 1e-9 * sum);
  }
}

// The stem, the projection shortcuts and the classes do not enter NN-Mass.
TEST(ResidualTest, MassIgnoresStemAndClasses) {
  Spec s = standard_spec("resnet50");
  s.resnet.stem = Stem::kCifar;
  s.input = {3, 32, 32};
  s.classes = 10;
  EXPECT_NEAR(nn_mass(s), nn_mass(standard_spec("resnet50")), 1e-9);
}

TEST(ResidualTest, UnknownStandardSpecThrows) {
  EXPECT_THROW(standard_spec("resnet19"), SpecError);
  EXPECT_THROW(standard_spec(""), SpecError);
}
