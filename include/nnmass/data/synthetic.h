// The official code's synthetic two-class data sets (method spec §4.1), generated from a seed with
// the library's portable PRNG:
//   linear: scalars x ~ U[0, 100], stratified into 120 equal bins (100 train / 10 test points per
//           bin, no duplicates), stored as the 2-D point (x, x);
//   circle: radii r in the same bins, r ~ N(bin centre, (bin width / 2)^2) rejected outside the
//           bin, angle ~ U(0, 2 pi), point (r cos, r sin).
// Samples are sorted by bin; labels cut the index into num_seg equal consecutive segments with
// alternating labels 0/1: num_seg stripes (linear) or rings (circle).
#pragma once

#include <cstdint>
#include <string>

#include <torch/torch.h>

namespace nnmass {

constexpr int kSyntheticBins = 120;
constexpr int kSyntheticTrainPerBin = 100;
constexpr int kSyntheticTestPerBin = 10;

struct SyntheticSet {
  torch::Tensor points;  // float32 [N, 2]
  torch::Tensor labels;  // int64 [N]
};

// kind: "linear" or "circle"; per_bin points in each of the 120 bins; 1 <= num_seg <= points
// (segments are equal when num_seg divides the count, within one point otherwise).
SyntheticSet make_synthetic(const std::string& kind, int per_bin, int num_seg, uint64_t seed);

}  // namespace nnmass
