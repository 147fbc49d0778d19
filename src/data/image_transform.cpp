// torchvision's ImageNet transforms on uint8 HWC images; see image_transform.h.
// Legend: H x W source image, box = the part of it that is resized, scaled_h x scaled_w = the size
// the box is resized to, window = the part of the resized box that is kept (size x size).
#include "nnmass/data/image_transform.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/rng.h"

namespace nnmass {
namespace {

constexpr double kScaleLo = 0.08, kScaleHi = 1.0;           // RandomResizedCrop's area fraction
constexpr double kRatioLo = 3.0 / 4.0, kRatioHi = 4.0 / 3.0;  // and aspect ratio (w / h)
constexpr int kCropTries = 10;                               // before the centre-crop fallback
constexpr double kFlipProbability = 0.5;                     // RandomHorizontalFlip(p=0.5)

// Uniform in [0, 1) from the top 53 bits.
double uniform(detail::SplitMix64& rng) { return static_cast<double>(rng.next() >> 11) * 0x1.0p-53; }

// Python's round(): to nearest, ties to even.
int round_half_even(double x) {
  const double lower = std::floor(x), diff = x - lower;
  if (diff > 0.5) return static_cast<int>(lower) + 1;
  if (diff < 0.5) return static_cast<int>(lower);
  return static_cast<int>(lower) + (std::fmod(lower, 2.0) != 0.0 ? 1 : 0);
}

// The fallback of get_params: the whole image, its aspect ratio clamped to [3/4, 4/3], centred.
PixelBox ratio_clamped_center(int height, int width) {
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < kRatioLo) {
    h = round_half_even(w / kRatioLo);
  } else if (in_ratio > kRatioHi) {
    w = round_half_even(h * kRatioHi);
  }
  return {(height - h) / 2, (width - w) / 2, h, w};
}

// Source taps of bilinear interpolation (align_corners=False) along one axis, as ATen's
// upsample_bilinear2d computes them in float: src = scale (dst + 1/2) - 1/2, clamped at 0.
struct Taps {
  std::vector<int> lo, hi;  // neighbouring source indices (hi = lo at the last one)
  std::vector<float> w_hi;  // weight of hi; lo gets 1 - w_hi
};

Taps linear_taps(int in_size, int scaled_size, int first, int count) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(scaled_size);
  Taps t;
  t.lo.resize(count);
  t.hi.resize(count);
  t.w_hi.resize(count);
  for (int k = 0; k < count; ++k) {
    const float src = std::max(scale * (static_cast<float>(first + k) + 0.5f) - 0.5f, 0.0f);
    const int lo = std::min(static_cast<int>(src), in_size - 1);
    t.lo[k] = lo;
    t.hi[k] = lo + (lo < in_size - 1 ? 1 : 0);
    t.w_hi[k] = std::clamp(src - static_cast<float>(lo), 0.0f, 1.0f);
  }
  return t;
}

// Rounds to the nearest integer, ties to even, and clamps to [0, 255]: adding and subtracting
// 2^23 leaves no fraction bits in a float, and IEEE's default rounding is to nearest, ties to even
// (a dozen times faster than a call to round; compilers keep it without -ffast-math).
uint8_t to_byte(float v) {
  constexpr float kShift = 8388608.0f;  // 2^23
  const float rounded = (std::clamp(v, 0.0f, 255.0f) + kShift) - kShift;
  return static_cast<uint8_t>(rounded);
}

// The horizontal pass of one source row, for every output value of a row (width x channels,
// flattened): out[i] = (1 - w_hi[i]) row[lo[i]] + w_hi[i] row[hi[i]], with lo, hi byte offsets.
struct RowTaps {
  std::vector<int> lo, hi;
  std::vector<float> w_lo, w_hi;
};

RowTaps row_taps(const Taps& tx, int channels, int box_left) {
  RowTaps r;
  const size_t n = tx.lo.size() * channels;
  r.lo.resize(n);
  r.hi.resize(n);
  r.w_lo.resize(n);
  r.w_hi.resize(n);
  for (size_t x = 0, i = 0; x < tx.lo.size(); ++x)
    for (int k = 0; k < channels; ++k, ++i) {
      r.lo[i] = (box_left + tx.lo[x]) * channels + k;
      r.hi[i] = (box_left + tx.hi[x]) * channels + k;
      r.w_hi[i] = tx.w_hi[x];
      r.w_lo[i] = 1.0f - tx.w_hi[x];
    }
  return r;
}

void interpolate_row(const uint8_t* row, const RowTaps& r, float* out) {
  for (size_t i = 0; i < r.lo.size(); ++i) out[i] = r.w_lo[i] * row[r.lo[i]] + r.w_hi[i] * row[r.hi[i]];
}

}  // namespace

PixelBox random_resized_crop_box(int height, int width, uint64_t seed) {
  detail::SplitMix64 rng(seed);
  const double area = static_cast<double>(height) * width;
  const double log_lo = std::log(kRatioLo), log_hi = std::log(kRatioHi);
  for (int attempt = 0; attempt < kCropTries; ++attempt) {
    const double target_area = area * (kScaleLo + (kScaleHi - kScaleLo) * uniform(rng));
    const double aspect = std::exp(log_lo + (log_hi - log_lo) * uniform(rng));
    const int w = round_half_even(std::sqrt(target_area * aspect));
    const int h = round_half_even(std::sqrt(target_area / aspect));
    if (0 < w && w <= width && 0 < h && h <= height) {
      const int top = static_cast<int>(rng.uniform_below(static_cast<uint64_t>(height - h + 1)));
      const int left = static_cast<int>(rng.uniform_below(static_cast<uint64_t>(width - w + 1)));
      return {top, left, h, w};
    }
  }
  return ratio_clamped_center(height, width);
}

SamplePlan resize_center_crop_plan(int height, int width, int resize, int size) {
  SamplePlan plan;
  plan.box = {0, 0, height, width};
  // torchvision: new_long = int(resize * long / short), a truncation.
  const int64_t shorter = std::min(height, width), longer = std::max(height, width);
  const int scaled_long = static_cast<int>(static_cast<double>(int64_t{resize} * longer) / static_cast<double>(shorter));
  plan.scaled_height = width <= height ? scaled_long : resize;
  plan.scaled_width = width <= height ? resize : scaled_long;
  plan.window = {round_half_even((plan.scaled_height - size) / 2.0), round_half_even((plan.scaled_width - size) / 2.0),
                 size, size};
  return plan;
}

SamplePlan plan_sample(int height, int width, const ImageTransform& t, uint64_t seed) {
  if (!t.augment) return resize_center_crop_plan(height, width, t.resize, t.size);
  SamplePlan plan;
  plan.box = random_resized_crop_box(height, width, detail::mix_seed(seed, 0));
  plan.scaled_height = plan.scaled_width = t.size;
  plan.window = {0, 0, t.size, t.size};
  detail::SplitMix64 flip(detail::mix_seed(seed, 1));
  plan.flip = uniform(flip) < kFlipProbability;
  return plan;
}

// Separable: each needed source row is interpolated horizontally once (kept while consecutive
// output rows share it), then pairs of rows are blended vertically. The float operations are
// those of the textbook form wy0 (wx0 p00 + wx1 p01) + wy1 (wx0 p10 + wx1 p11).
Image resample(const Image& image, const SamplePlan& p) {
  const int c = image.channels;
  const Taps ty = linear_taps(p.box.height, p.scaled_height, p.window.top, p.window.height);
  const RowTaps rx = row_taps(linear_taps(p.box.width, p.scaled_width, p.window.left, p.window.width), c, p.box.left);
  const size_t row_values = rx.lo.size();
  Image out{p.window.height, p.window.width, c, std::vector<uint8_t>(p.window.height * row_values)};
  std::vector<float> upper(row_values), lower(row_values);  // horizontal passes of rows upper_row, lower_row
  int upper_row = -1, lower_row = -1;
  const auto source_row = [&](int y) { return &image.pixels[static_cast<size_t>(p.box.top + y) * image.width * c]; };
  for (int y = 0; y < p.window.height; ++y) {
    if (ty.lo[y] != upper_row) {
      if (ty.lo[y] == lower_row) {
        std::swap(upper, lower);
        std::swap(upper_row, lower_row);
      } else {
        interpolate_row(source_row(ty.lo[y]), rx, upper.data());
        upper_row = ty.lo[y];
      }
    }
    if (ty.hi[y] != lower_row) {
      interpolate_row(source_row(ty.hi[y]), rx, lower.data());
      lower_row = ty.hi[y];
    }
    const float wy1 = ty.w_hi[y], wy0 = 1.0f - wy1;
    uint8_t* dst = &out.pixels[y * row_values];
    for (size_t i = 0; i < row_values; ++i) dst[i] = to_byte(wy0 * upper[i] + wy1 * lower[i]);
  }
  return out;
}

void write_normalised(const Image& image, bool flip, const std::vector<float>& mean, const std::vector<float>& stdev,
                      float* out) {
  const int c = image.channels, h = image.height, w = image.width;
  const auto per_channel = [](const std::vector<float>& v, int k) { return v.empty() ? 0.0f : v[v.size() == 1 ? 0 : k]; };
  for (int k = 0; k < c; ++k) {
    // The same float operations as Dataset::to_input, so an unchanged 28x28 image gives the IDX
    // path's values bit for bit.
    std::array<float, 256> value;
    const float m = per_channel(mean, k), s = stdev.empty() ? 1.0f : per_channel(stdev, k);
    for (int p = 0; p < 256; ++p) value[p] = (static_cast<float>(p) / 255.0f - m) / s;
    float* plane = out + static_cast<size_t>(k) * h * w;
    for (int y = 0; y < h; ++y) {
      const uint8_t* row = &image.pixels[static_cast<size_t>(y) * w * c + k];
      float* dst = plane + static_cast<size_t>(y) * w;
      for (int x = 0; x < w; ++x) dst[x] = value[row[static_cast<size_t>(flip ? w - 1 - x : x) * c]];
    }
  }
}

void transform_image(const Image& image, const ImageTransform& t, uint64_t seed, float* out) {
  const SamplePlan plan = plan_sample(image.height, image.width, t, seed);
  write_normalised(resample(image, plan), plan.flip, t.mean, t.stdev, out);
}

}  // namespace nnmass
