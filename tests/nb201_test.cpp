// NAS-Bench-201 in core: arch strings, the 15,625-cell numbering, and the closed-form counts
// against the formulas of shared/spec/nb201.md (derived there from the benchmark's skeleton).
#include <gtest/gtest.h>

#include <set>

#include "nnmass/cost.h"
#include "nnmass/error.h"
#include "nnmass/mass.h"
#include "nnmass/nb201.h"
#include "nnmass/spec.h"
#include "nnmass/spec_json.h"

namespace nnmass {
namespace {

const char* kBest = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|";

Spec nb201_spec(const std::string& arch, int classes = 10) {
  Spec s;
  s.family = Family::kNb201;
  s.input = {3, 32, 32};
  s.classes = classes;
  s.nb201.cell = parse_nb201_cell(arch);
  return s;
}

TEST(Nb201Arch, RoundTripsEveryCellAndNumbersThemOneToOne) {
  std::set<std::string> seen;
  for (int i = 0; i < kNb201Cells; ++i) {
    const Nb201Cell cell = nb201_cell_at(i);
    const std::string arch = nb201_arch_string(cell);
    EXPECT_EQ(nb201_index(parse_nb201_cell(arch)), i);
    seen.insert(arch);
  }
  EXPECT_EQ(seen.size(), 15625u);
  EXPECT_EQ(nb201_arch_string(nb201_best_cifar10_cell()), kBest);
  EXPECT_EQ(nb201_cell_at(0)[0], Nb201Op::kNone);
  EXPECT_EQ(nb201_cell_at(1)[5], Nb201Op::kSkip);  // the last edge is the least significant digit
}

TEST(Nb201Arch, MalformedStringsAreRefusedNamingWhatIsWrong) {
  const auto message = [](const std::string& text) {
    try {
      parse_nb201_cell(text, "--cell");
    } catch (const SpecError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|").find("unknown operation \"conv\""),
            std::string::npos);
  EXPECT_NE(message("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|").find("must come from node 0"),
            std::string::npos);
  EXPECT_NE(message("|none~0|+|none~0|none~1|").find("expected '+' before node 3"), std::string::npos);
  EXPECT_NE(message(std::string(kBest) + "x").find("after node 3"), std::string::npos);
  EXPECT_NE(message("").find("--cell must be"), std::string::npos);
  EXPECT_NE(message("|none|+|none~0|none~1|+|none~0|none~1|none~2|").find("lacks ~source"), std::string::npos);
}

// shared/spec/nb201.md: params = 72,656 + 65K + 243,040 n3 + 28,000 n1 and the benchmark's FLOPs
// (its MACs, plus the classifier's bias) = 7,782,400 + 65K + 35,389,440 n3 + 3,932,160 n1.
TEST(Nb201Cost, EveryCellMatchesTheBenchmarksCountsAtAnyClassCount) {
  for (int classes : {10, 100, 120}) {
    for (int i = 0; i < kNb201Cells; i += 7) {
      Spec s = nb201_spec(nb201_arch_string(nb201_cell_at(i)), classes);
      validate(s);
      const int64_t n3 = nb201_count(s.nb201.cell, Nb201Op::kConv3x3);
      const int64_t n1 = nb201_count(s.nb201.cell, Nb201Op::kConv1x1);
      const Cost c = count_cost(s);
      ASSERT_EQ(c.params, 72656 + 65 * classes + 243040 * n3 + 28000 * n1) << nb201_arch_string(s.nb201.cell);
      ASSERT_EQ(c.macs + classes, 7782400 + 65 * classes + 35389440 * n3 + 3932160 * n1);
      ASSERT_EQ(c.flops, 2 * c.macs + classes);
    }
  }
  EXPECT_EQ(count_cost(nb201_spec(kBest)).params, 1073466);
  EXPECT_EQ(count_cost(nb201_spec("|none~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|skip_connect~2|")).params,
            73306);
  EXPECT_NEAR((count_cost(nb201_spec(kBest)).macs + 10) / 1e6, 153.27, 0.005);
}

TEST(Nb201Spec, JsonRoundTripsAndInputsMustHalveTwice) {
  Spec s = nb201_spec(kBest, 100);
  s.nb201.channels = 8;
  s.nb201.cells_per_stage = 2;
  const Spec back = spec_from_json(spec_to_json(s));
  EXPECT_EQ(nb201_arch_string(back.nb201.cell), kBest);
  EXPECT_EQ(back.nb201.channels, 8);
  EXPECT_EQ(back.nb201.cells_per_stage, 2);
  EXPECT_EQ(back.classes, 100);
  s.input = {3, 30, 32};
  EXPECT_THROW(validate(s), SpecError);
  s.input = {3, 16, 16};
  EXPECT_NO_THROW(validate(s));
  EXPECT_THROW(spec_from_json({{"family", "nb201"}, {"input", {3, 32, 32}}, {"classes", 10}}), SpecError);
}

}  // namespace
}  // namespace nnmass
