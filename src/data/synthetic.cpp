// Synthetic linear / circle data sets (method spec §4.1), from the library's portable PRNG.
#include "nnmass/data/synthetic.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "core/rng.h"
#include "nnmass/error.h"

namespace nnmass {
namespace {

constexpr double kRange = 100.0;  // values / radii lie in [0, 100]

double uniform01(detail::SplitMix64& rng) {
  return static_cast<double>(rng.next() >> 11) * 0x1.0p-53;  // 53 random bits -> [0, 1)
}

double normal(detail::SplitMix64& rng) {  // Box-Muller
  const double u1 = 1.0 - uniform01(rng), u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// per_bin distinct values of bin [lo, hi): uniform (linear) or truncated normal (circle).
std::vector<double> draw_bin(detail::SplitMix64& rng, double lo, double hi, int per_bin, bool circle) {
  std::set<double> values;
  while (static_cast<int>(values.size()) < per_bin) {
    double v;
    if (circle) {
      v = (lo + hi) / 2 + normal(rng) * (hi - lo) / 2;
      if (v < lo || v >= hi) continue;  // rejected outside the bin
    } else {
      v = lo + uniform01(rng) * (hi - lo);
    }
    values.insert(v);  // duplicates rejected
  }
  return {values.begin(), values.end()};  // sorted within the bin
}

}  // namespace

SyntheticSet make_synthetic(const std::string& kind, int per_bin, int num_seg, uint64_t seed) {
  if (kind != "linear" && kind != "circle")
    throw SpecError("synthetic data set must be linear or circle, got \"" + kind + "\"");
  const int64_t n = int64_t{kSyntheticBins} * per_bin;
  if (per_bin < 1) throw SpecError("synthetic sets need at least one point per bin");
  if (num_seg < 1 || num_seg > n)
    throw SpecError("num_seg must be between 1 and " + std::to_string(n) + ", got " + std::to_string(num_seg));
  detail::SplitMix64 rng(seed);
  const bool circle = kind == "circle";
  const double width = kRange / kSyntheticBins;
  std::vector<float> xy;
  std::vector<int64_t> labels;
  xy.reserve(2 * n);
  labels.reserve(n);
  for (int b = 0; b < kSyntheticBins; ++b) {
    for (double v : draw_bin(rng, b * width, (b + 1) * width, per_bin, circle)) {
      const int64_t index = static_cast<int64_t>(labels.size());
      labels.push_back((index * num_seg / n) % 2);  // alternating segments of the sorted index
      if (circle) {
        const double angle = 2.0 * M_PI * uniform01(rng);
        xy.push_back(static_cast<float>(v * std::cos(angle)));
        xy.push_back(static_cast<float>(v * std::sin(angle)));
      } else {
        xy.push_back(static_cast<float>(v));
        xy.push_back(static_cast<float>(v));
      }
    }
  }
  return {torch::tensor(xy).view({n, 2}), torch::tensor(labels)};
}

}  // namespace nnmass
